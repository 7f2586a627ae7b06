import Foundation
import XCTest
@testable import SeederCore

/// One text per line.
final class LinesSourceTests: XCTestCase {
    func testRecordsAndSkips() throws {
        let long = String(repeating: "z", count: 300)
        let bytes = [0xEF, 0xBB, 0xBF] + Array("  how to boil an egg \r\n\n   \nweather tomorrow\nok\n".utf8)
            + [0x62, 0x61, 0x64, 0xC3, 0x28, 0x0A] + Array("\(long)\nlast line".utf8)
        let path = try writeScratchFile(self, "queries.txt", bytes)
        let result = readSource(LinesSource(path: path, options: .init(minChars: 3, maxChars: 200, category: "queries")))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.records, [
            Record(id: "line 1", title: "", body: "how to boil an egg", category: "queries", ordinal: 0),
            Record(id: "line 4", title: "", body: "weather tomorrow", category: "queries", ordinal: 3),
            Record(id: "line 8", title: "", body: "last line", category: "queries", ordinal: 7),
        ])
        XCTAssertEqual(result.skipped, [.empty: 2, .tooShort: 1, .invalidUTF8: 1, .tooLong: 1])
        XCTAssertEqual(result.failures.map(\.detail), ["line 6 is not valid UTF-8",
                                                       "line 7 has 300 characters, more than max_chars 200"])
        XCTAssertEqual(result.itemsDelivered, 8)
    }

    func testOverLongLineIsSkippedUnread() throws {
        let path = try writeScratchFile(self, "big.txt", "a line\n" + String(repeating: "x", count: 100_000) + "\nafter\n")
        let result = readSource(LinesSource(path: path, options: .init(maxLineBytes: 10_000, bufferSize: 4096)))
        XCTAssertEqual(result.records.map(\.body), ["a line", "after"])
        XCTAssertEqual(result.failures.map(\.detail), ["line 2 is 100000 bytes long, more than max_line_bytes 10000"])
    }

    func testResumeAndGzip() throws {
        let text = (1...500).map { "phrase number \($0)" }.joined(separator: "\n")
        let plain = try writeScratchFile(self, "p.txt", text)
        let gz = try writeScratchFile(self, "p.txt.gz", gzipBytes(Array(text.utf8)))
        let full = readSource(LinesSource(path: plain), chunkSize: 16)
        XCTAssertEqual(full.records.count, 500)
        XCTAssertEqual(readSource(LinesSource(path: gz)).records, full.records)
        let resumed = readSource(LinesSource(path: gz), resumeAfter: 123, chunkSize: 16)
        XCTAssertEqual(resumed.normalRecords, Array(full.records[123...]))
        XCTAssertEqual(resumed.replayRecords, Array(full.records[..<123]))
        XCTAssertEqual(readSource(LinesSource(path: plain), resumeAfter: 501).sourceError?.kind, .wrongFormat)
    }

    func testDeliverErrorStopsTheRead() throws {
        let path = try writeScratchFile(self, "p.txt", (1...100).map { "line \($0)" }.joined(separator: "\n"))
        struct Stop: Error {}
        var chunks = 0
        XCTAssertThrowsError(try LinesSource(path: path).read(resumeAfter: .start, chunkSize: 10) { _ in
            chunks += 1
            if chunks == 2 { throw Stop() }
        }) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(chunks, 2)
    }

    func testTruncatedGzipDeliversCompleteLinesFirst() throws {
        let text = (1...20_000).map { "phrase \($0) with some words to make it longer" }.joined(separator: "\n")
        let gz = gzipBytes(Array(text.utf8))
        let path = try writeScratchFile(self, "cut.txt.gz", Array(gz.prefix(gz.count / 2)))
        let result = readSource(LinesSource(path: path), chunkSize: 1000)
        XCTAssertEqual(result.sourceError?.kind, .corruptCompression)
        XCTAssertGreaterThan(result.records.count, 1000)
        XCTAssertEqual(result.records.map(\.body), (1...result.records.count).map { "phrase \($0) with some words to make it longer" })
    }

    func testBadPaths() throws {
        let dir = try sourceScratchDirectory(self)
        XCTAssertEqual(readSource(LinesSource(path: dir)).sourceError?.kind, .missing)
        XCTAssertEqual(readSource(LinesSource(path: dir + "/none.txt")).sourceError?.kind, .missing)
        XCTAssertEqual(readSource(LinesSource(path: try writeScratchFile(self, "e.txt", ""))).sourceError?.kind, .empty)
    }
}

extension LinesSourceTests {
    func testFilesWithoutDataAreEmptyErrors() throws {
        // A gzip member of nothing, and a lone byte-order mark: no line at all.
        for (name, bytes) in [("nothing.txt.gz", gzipBytes([])), ("bom.txt", [0xEF, 0xBB, 0xBF] as [UInt8])] {
            let path = try writeScratchFile(self, name, bytes)
            XCTAssertEqual(readSource(LinesSource(path: path)).sourceError?.kind, .empty, name)
            XCTAssertEqual(readSource(JSONLinesSource(path: path)).sourceError?.kind, .empty, name)
            XCTAssertEqual(readSource(WiktionarySource(path: path)).sourceError?.kind, .empty, name)
            XCTAssertEqual(readSource(CSVSource(path: path)).sourceError?.kind, .empty, name)
            XCTAssertEqual(readSource(DictionaryTableSource(path: path)).sourceError?.kind, .empty, name)
        }
    }

    func testKinds() {
        XCTAssertEqual(LinesSource(path: "x").kind, "lines")
        XCTAssertEqual(CSVSource(path: "x").kind, "csv")
        XCTAssertEqual(JSONLinesSource(path: "x").kind, "jsonl")
        XCTAssertEqual(DictionaryTableSource(path: "x").kind, "dictionary-table")
        XCTAssertEqual(WiktionarySource(path: "x").kind, "wiktionary")
        XCTAssertEqual(WordNetSource(path: "x").kind, "wordnet")
    }
}
