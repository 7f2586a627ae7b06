import Foundation
import XCTest
@testable import SeederCore

/// JSON Lines with the text at a field path.
final class JSONLinesSourceTests: XCTestCase {
    func testFieldPathsAndStringification() throws {
        let path = try writeScratchFile(self, "docs.jsonl", """
            {"id": 12345678901234567, "meta": {"title": "First", "tags": ["a"], "cat": true}, "data": {"body": "  Hello world. "}, "items": [{"text": "x"}, {"text": "second item"}]}
            {"id": "doc-2", "meta": {"title": 3.5}, "data": {"body": "Another text", "extra": [1, 2, {"deep": null}]}, "items": [{"text": "only one"}]}
            """)
        let options = JSONLinesSource.Options(body: JSONFieldPath("data.body")!, title: JSONFieldPath("meta.title"),
                                              id: JSONFieldPath("id"), category: JSONFieldPath("meta.cat"),
                                              url: JSONFieldPath("items.1.text"))
        let result = readSource(JSONLinesSource(path: path, options: options))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.records, [
            Record(id: "12345678901234567", title: "First", body: "Hello world.", url: "second item", category: "true", ordinal: 0),
            Record(id: "doc-2", title: "3.5", body: "Another text", url: "", category: "", ordinal: 1),
        ])
        let items = readSource(JSONLinesSource(path: path, options: .init(body: JSONFieldPath("items.0.text")!)))
        XCTAssertEqual(items.records.map(\.body), ["x", "only one"])
        XCTAssertEqual(items.records.map(\.id), ["line 1", "line 2"])
    }

    func testBrokenAndEmptyLines() throws {
        let path = try writeScratchFile(self, "mixed.jsonl", """
            {"text": "fine"}
            {"text": "cut
            [1, 2]
            {"other": "no text field"}
            {"text": 42}
            {"text": null}
            {"text": ""}

            {"text": {"nested": true}}
            {"text": "fine again"}
            """)
        let result = readSource(JSONLinesSource(path: path))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.records.map(\.body), ["fine", "fine again"])
        XCTAssertEqual(result.records.map(\.ordinal), [0, 9])
        XCTAssertEqual(result.skipped, [.malformed: 5, .empty: 3])
        let details = result.failures.map(\.detail)
        XCTAssertTrue(details[0].hasPrefix("line 2 is not valid JSON: "), details[0])
        XCTAssertTrue(details[0].contains("unterminated string"), details[0])
        XCTAssertEqual(Array(details[1...]), [
            "line 3 is an array, not a JSON object",
            "line 4: no field text",
            "line 5: text is a number, not a string",
            "line 9: text is an object or array, not a string",
        ])
    }

    func testFieldPathParsing() {
        XCTAssertEqual(JSONFieldPath("a.b.0")?.components, ["a", "b", "0"])
        XCTAssertNil(JSONFieldPath(""))
        XCTAssertNil(JSONFieldPath("a..b"))
        XCTAssertNil(JSONFieldPath(".a"))
    }

    func testResume() throws {
        let text = (0..<300).map { #"{"text": "entry \#($0)", "n": \#($0)}"# }.joined(separator: "\n")
        let path = try writeScratchFile(self, "r.jsonl", text)
        let full = readSource(JSONLinesSource(path: path), chunkSize: 9).records
        let resumed = readSource(JSONLinesSource(path: path), resumeAfter: 77, chunkSize: 9)
        XCTAssertEqual(resumed.normalRecords, Array(full[77...]))
        XCTAssertEqual(resumed.replayRecords, Array(full[..<77]))
    }
}
