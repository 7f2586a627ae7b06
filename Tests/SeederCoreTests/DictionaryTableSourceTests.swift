import Foundation
import XCTest
@testable import SeederCore

/// Word → definition tables.
final class DictionaryTableSourceTests: XCTestCase {
    func testTSVWithDetectedHeaderAndCategory() throws {
        let path = try writeScratchFile(self, "dict.tsv", """
            Headword\tPOS\tDefinition
            cat\tnoun\tA small domesticated carnivore.
            run\tverb\t"Quoted" start of a definition
            \tnoun\tNo word here
            solo
            """)
        let result = readSource(DictionaryTableSource(path: path))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.records, [
            Record(id: "cat|line 2", title: "cat", body: "A small domesticated carnivore.", category: "noun", ordinal: 0),
            Record(id: "run|line 3", title: "run", body: "\"Quoted\" start of a definition", category: "verb", ordinal: 1),
        ])
        XCTAssertEqual(result.skipped, [.malformed: 2])
        XCTAssertEqual(result.failures.map(\.detail), [
            "line 4: the word is empty",
            "line 5: the row has 1 field(s), but the word and definition columns need 3",
        ])
    }

    func testCSVWithoutHeaderUsesColumnOrder() throws {
        let path = try writeScratchFile(self, "dict.csv", """
            apple,"A fruit, round and red",noun
            quickly,In a quick manner
            """)
        let result = readSource(DictionaryTableSource(path: path))
        XCTAssertEqual(result.records, [
            Record(id: "apple|line 1", title: "apple", body: "A fruit, round and red", category: "noun", ordinal: 0),
            Record(id: "quickly|line 2", title: "quickly", body: "In a quick manner", category: "", ordinal: 1),
        ])
    }

    func testExplicitOptions() throws {
        let path = try writeScratchFile(self, "dict.txt", "def|word\nA greeting|hello\n")
        let result = readSource(DictionaryTableSource(path: path, options: .init(
            delimiter: "|", header: true, word: .name("word"), definition: .index(0))))
        XCTAssertEqual(result.records, [Record(id: "hello|line 2", title: "hello", body: "A greeting", category: "", ordinal: 0)])
        // A header that is not detected is a data row.
        let notHeader = readSource(DictionaryTableSource(path: path, options: .init(delimiter: "|")))
        XCTAssertEqual(notHeader.records.map(\.title), ["def", "A greeting"])
    }
}
