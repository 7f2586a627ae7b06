import XCTest
@testable import SeederCore

/// RFC 4180 parsing: quotes, escapes, multi-line fields, terminators, bounds and resynchronisation.
final class CSVRecordReaderTests: XCTestCase {
    func items(_ text: String, delimiter: UInt8? = 0x2C, quoting: Bool? = nil, maxRecordBytes: Int = 1 << 20,
               step: Int = .max) throws -> [CSVRecordReader.Item] {
        try items(Array(text.utf8), delimiter: delimiter, quoting: quoting, maxRecordBytes: maxRecordBytes, step: step)
    }

    func items(_ bytes: [UInt8], delimiter: UInt8? = 0x2C, quoting: Bool? = nil, maxRecordBytes: Int = 1 << 20,
               step: Int = .max) throws -> [CSVRecordReader.Item] {
        let reader = CSVRecordReader(source: ChunkedMemoryReader(bytes, step: step), path: "t.csv", delimiter: delimiter,
                                     quoting: quoting, maxRecordBytes: maxRecordBytes, bufferSize: 4096)
        var out: [CSVRecordReader.Item] = []
        while let item = try reader.next() { out.append(item) }
        return out
    }

    func row(_ fields: [String], _ line: Int) -> CSVRecordReader.Item { .row(.init(fields: fields, line: line)) }

    func testPlainAndQuotedFields() throws {
        let text = "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\n\"multi\r\nline\",2,3\nlast,row"
        XCTAssertEqual(try items(text), [
            row(["a", "b", "c"], 1),
            row(["x, y", "say \"hi\"", ""], 2),
            row(["multi\nline", "2", "3"], 3),
            row(["last", "row"], 5),
        ])
        // The same bytes one at a time across reads.
        XCTAssertEqual(try items(text, step: 1), try items(text))
    }

    func testQuotesInsideUnquotedFieldsAndTextAfterAClosingQuote() throws {
        XCTAssertEqual(try items("ab\"c,\"q\"tail\n"), [row(["ab\"c", "qtail"], 1)])
    }

    func testBlankLinesAndByteOrderMark() throws {
        XCTAssertEqual(try items([0xEF, 0xBB, 0xBF] + Array("h1,h2\n\nv1,v2\n".utf8)),
                       [row(["h1", "h2"], 1), row([""], 2), row(["v1", "v2"], 3)])
    }

    func testUnterminatedQuoteReportsTheRowsStartingLine() throws {
        XCTAssertEqual(try items("ok,1\nbad,\"never closed\nmore\nlines"),
                       [row(["ok", "1"], 1), .unterminatedQuote(line: 2)])
    }

    func testOverLongQuotedFieldIsSkippedAndReadingResumesAfterIt() throws {
        let long = String(repeating: "word, \"\"quoted\"\"\n", count: 500) // about 9 KB over many lines
        let text = "first,1\n\"\(long)\",2\nnext,3\n"
        let got = try items(text, maxRecordBytes: 1000, step: 333)
        XCTAssertEqual(got.count, 3)
        XCTAssertEqual(got[0], row(["first", "1"], 1))
        guard case .tooLong(2, let endLine, let count) = got[1] else { return XCTFail("\(got[1])") }
        XCTAssertEqual(endLine, 502)
        XCTAssertEqual(count, Int64(long.utf8.count + 4))
        XCTAssertEqual(got[2], row(["next", "3"], 503))
    }

    func testInvalidUTF8RowIsReportedAlone() throws {
        XCTAssertEqual(try items(Array("a,1\n".utf8) + [0x62, 0xFF, 0x2C, 0x32, 0x0A] + Array("c,3".utf8)),
                       [row(["a", "1"], 1), .invalidUTF8(line: 2), row(["c", "3"], 3)])
    }

    func testDelimiterDetectionAndQuotingOffForTabs() throws {
        XCTAssertEqual(try items("w\t\"quoted\" start\n", delimiter: nil),
                       [row(["w", "\"quoted\" start"], 1)])
        // A tab anywhere in the first line means TSV; otherwise commas, quotes honoured.
        XCTAssertEqual(try items("w,\"a;b\"\nx,\"c\td\"\n", delimiter: nil), [row(["w", "a;b"], 1), row(["x", "c\td"], 2)])
        XCTAssertEqual(try items("a;\"b;c\"\n", delimiter: UInt8(ascii: ";")), [row(["a", "b;c"], 1)])
        XCTAssertEqual(try items("a\t\"b\tc\"\n", delimiter: 0x09, quoting: true), [row(["a", "b\tc"], 1)])
    }

    func testOldMacLineEndsAndFieldCountBound() throws {
        XCTAssertEqual(try items("a,b\rc,d\r\ne"), [row(["a", "b"], 1), row(["c", "d"], 2), row(["e"], 3)])
        // A row of 100 000 empty fields is not kept as 100 000 strings.
        let reader = CSVRecordReader(source: ChunkedMemoryReader(Array((String(repeating: ",", count: 100_000) + "\nx\n").utf8)),
                                     path: "t.csv", delimiter: 0x2C, maxFields: 1000)
        guard case .tooLong(1, 1, _)? = try reader.next() else { return XCTFail("expected too long") }
        XCTAssertEqual(try reader.next(), row(["x"], 2))
    }

    func testUTF16IsRefused() throws {
        XCTAssertThrowsError(try items([0xFF, 0xFE, 0x61, 0x00])) { error in
            XCTAssertEqual((error as? SourceError)?.kind, .wrongFormat)
        }
    }
}
