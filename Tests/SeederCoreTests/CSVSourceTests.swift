import Foundation
import XCTest
@testable import SeederCore

/// CSV with a text column.
final class CSVSourceTests: XCTestCase {
    let csv = [
        "id,title,text,lang",
        "a1,First,\"A text, with a comma\",en",
        "a2,Second,\"Spans\ntwo lines with \"\"quotes\"\"\",fr",
        "a3,Short row",
        "",
        ",Fourth,Plain text,de",
        "",
    ].joined(separator: "\r\n")

    func testColumnsByName() throws {
        let path = try writeScratchFile(self, "t.csv", csv)
        let options = CSVSource.Options(body: .name("text"), title: .name("Title"), id: .name("id"), category: .name("lang"))
        let result = readSource(CSVSource(path: path, options: options))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.records, [
            Record(id: "a1", title: "First", body: "A text, with a comma", category: "en", ordinal: 0),
            Record(id: "a2", title: "Second", body: "Spans\ntwo lines with \"quotes\"", category: "fr", ordinal: 1),
            Record(id: "line 7", title: "Fourth", body: "Plain text", category: "de", ordinal: 4),
        ])
        XCTAssertEqual(result.skipped, [.malformed: 1, .empty: 1])
        XCTAssertEqual(result.failures.map(\.detail), ["line 5: the row has 2 field(s), but column \"lang\" needs 4"])
    }

    func testColumnsByIndexWithoutHeaderAndSemicolons() throws {
        let path = try writeScratchFile(self, "t.csv", "one;\"two; three\"\nfour;five\n")
        let result = readSource(CSVSource(path: path, options: .init(delimiter: ";", header: false, body: .index(1), title: .index(0))))
        XCTAssertEqual(result.records.map(\.body), ["two; three", "five"])
        XCTAssertEqual(result.records.map(\.title), ["one", "four"])
        XCTAssertEqual(result.records.map(\.id), ["line 1", "line 2"])
    }

    func testConfigurationErrors() throws {
        let path = try writeScratchFile(self, "t.csv", csv)
        let unknown = readSource(CSVSource(path: path, options: .init(body: .name("content")))).sourceError
        XCTAssertEqual(unknown?.kind, .wrongFormat)
        XCTAssertTrue(unknown?.message.contains("\"content\"") == true && unknown?.message.contains("\"text\"") == true,
                      "\(String(describing: unknown))")
        XCTAssertEqual(readSource(CSVSource(path: path, options: .init(header: false, body: .name("text")))).sourceError?.kind,
                       .wrongFormat)
        XCTAssertEqual(readSource(CSVSource(path: path, options: .init(delimiter: "\""))).sourceError?.kind, .wrongFormat)
    }

    func testUnterminatedQuoteAndOverLongField() throws {
        let long = String(repeating: "lorem ipsum\n", count: 2000)
        let text = "text\nfirst\n\"\(long)\"\nafter\n\"never closed\nfoo\n"
        let path = try writeScratchFile(self, "t.csv", text)
        let result = readSource(CSVSource(path: path, options: .init(maxRecordBytes: 5000, bufferSize: 4096)))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.records.map(\.body), ["first", "after"])
        XCTAssertEqual(result.skipped, [.tooLong: 1, .malformed: 1])
        XCTAssertEqual(result.failures.map(\.recordID), ["line 3", "line 2005"])
        XCTAssertTrue(result.failures[0].detail.hasPrefix("lines 3–2003: the row is"), result.failures[0].detail)
        XCTAssertEqual(result.failures[1].detail,
                       "line 2005: a quoted field opened in this row is never closed (the file ends inside it)")
    }

    func testResume() throws {
        let text = "text\n" + (0..<200).map { "\"row \($0),\nsecond line\"" }.joined(separator: "\n")
        let path = try writeScratchFile(self, "r.csv", text)
        let full = readSource(CSVSource(path: path), chunkSize: 9).records
        XCTAssertEqual(full.count, 200)
        let resumed = readSource(CSVSource(path: path), resumeAfter: 150, chunkSize: 9)
        XCTAssertEqual(resumed.normalRecords, Array(full[150...]))
        XCTAssertEqual(resumed.replayRecords.count, 150)
    }
}
