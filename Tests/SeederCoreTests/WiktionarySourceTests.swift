import Foundation
import XCTest
@testable import SeederCore

/// The wiktextract (kaikki.org) JSON Lines source, over the bundled sample and damaged inputs.
final class WiktionarySourceTests: XCTestCase {
    var samplePath: String { datasetPath("dictionary/wiktextract-en-sample.jsonl") }

    /// The sample's senses counted with Foundation's JSON parser, independently of the source: (kept, form-of).
    func countSenses(skipFormOf: Bool) throws -> (kept: Int, formOf: Int, lines: Int) {
        let text = try String(contentsOfFile: samplePath, encoding: .utf8)
        var kept = 0, formOf = 0, lines = 0
        for line in text.split(separator: "\n") {
            lines += 1
            let entry = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for sense in entry["senses"] as? [[String: Any]] ?? [] {
                let tags = sense["tags"] as? [String] ?? []
                if skipFormOf && (tags.contains("form-of") || tags.contains("alt-of")) {
                    formOf += 1
                } else if !(sense["glosses"] as? [String] ?? []).isEmpty {
                    kept += 1
                }
            }
        }
        return (kept, formOf, lines)
    }

    func testSampleYieldsOneRecordPerSense() throws {
        let result = readSource(WiktionarySource(path: samplePath))
        XCTAssertNil(result.error)
        let expected = try countSenses(skipFormOf: true)
        XCTAssertEqual(result.records.count, expected.kept)
        XCTAssertEqual(result.skipped, [.filtered: expected.formOf])
        XCTAssertEqual(result.itemsDelivered, Int64(expected.lines))
        XCTAssertTrue(result.failures.isEmpty)

        let all = readSource(WiktionarySource(path: samplePath, options: .init(skipFormOf: false)))
        XCTAssertEqual(all.records.count, try countSenses(skipFormOf: false).kept)
        XCTAssertTrue(all.records.contains { $0.title == "synonyme" && $0.body == "Archaic form of synonym." })
    }

    func testExactRecords() throws {
        let records = readSource(WiktionarySource(path: samplePath)).records
        // bring (etymology 1), the first sense: `glosses` wins over `raw_glosses`.
        XCTAssertEqual(records.first, Record(id: "bring|verb|1.0", title: "bring",
                                             body: "To transport toward somebody/somewhere.", category: "verb", ordinal: 0))
        let falcon = records.filter { $0.title == "falcon" }
        XCTAssertEqual(falcon.map(\.category), ["noun", "noun", "noun", "noun", "verb"])
        XCTAssertEqual(falcon.last, Record(id: "falcon|verb|0", title: "falcon", body: "To hunt with a falcon or falcons.",
                                           category: "verb", ordinal: 3))
        XCTAssertEqual(records.last, Record(id: "magical|adj|1", title: "magical", body: "Enchanting.", category: "adj", ordinal: 9))
        // peninsular's third sense is alt-of: skipped, so its records are senses 0 and 1.
        XCTAssertEqual(records.filter { $0.title == "peninsular" }.map(\.id), ["peninsular|noun|0", "peninsular|noun|1"])
        // 1920's has only an alt-of sense: its line is consumed without a record.
        XCTAssertFalse(records.contains { $0.title == "1920's" })
    }

    func testBrokenLinesAreMalformedSkipsNamingTheLine() throws {
        let good = #"{"word":"cat","pos":"noun","lang":"English","lang_code":"en","senses":[{"glosses":["A small domesticated carnivore."]},{"glosses":["A person."]}]}"#
        let lines = [
            good,                                       // 1
            #"{"word":"dog","pos":"noun","senses":[{"#,  // 2 truncated
            "[]",                                       // 3
            #""just a string""#,                        // 4
            #"{"pos":"noun","senses":[{"glosses":["x"]}]}"#, // 5 no word
            #"{"word":7,"senses":[]}"#,                 // 6 word not a string
            "",                                         // 7 blank
            #"{"word":"bare"}"#,                        // 8 no senses
            #"{"word":"tail","pos":"noun","senses":[{"glosses":["End."]}]} x"#, // 9 trailing garbage
        ]
        let path = try writeScratchFile(self, "broken.jsonl", lines.joined(separator: "\n"))
        let result = readSource(WiktionarySource(path: path))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.records.map(\.body), ["A small domesticated carnivore.", "A person."])
        XCTAssertEqual(result.skipped, [.malformed: 6, .empty: 2])
        XCTAssertEqual(result.itemsDelivered, 9)
        let details = result.failures.map(\.detail)
        XCTAssertEqual(result.failures.map(\.ordinal), [1, 2, 3, 4, 5, 8])
        XCTAssertTrue(details[0].hasPrefix("line 2 is not valid JSON"), details[0])
        XCTAssertEqual(details[1], "line 3 is an array, not a JSON object (one wiktextract entry per line)")
        XCTAssertEqual(details[2], "line 4 is a string, not a JSON object (one wiktextract entry per line)")
        XCTAssertEqual(details[3], "line 5: the entry has no \"word\"")
        XCTAssertEqual(details[4], "line 6: \"word\" is not a string")
        XCTAssertTrue(details[5].hasPrefix("line 9 is not valid JSON"), details[5])
    }

    func testMiddleLineBroken() throws {
        let path = try writeScratchFile(self, "three.jsonl", """
            {"word":"a","pos":"noun","senses":[{"glosses":["First letter."]}]}
            {"word":"b","pos":"noun","senses":[{"glosses":["Second
            {"word":"c","pos":"noun","senses":[{"glosses":["Third letter."]}]}
            """)
        let result = readSource(WiktionarySource(path: path))
        XCTAssertEqual(result.records.map(\.title), ["a", "c"])
        XCTAssertEqual(result.records.map(\.ordinal), [0, 2])
        XCTAssertEqual(result.skipped, [.malformed: 1])
        XCTAssertEqual(result.failures.count, 1)
        XCTAssertTrue(result.failures[0].detail.contains("line 2"), result.failures[0].detail)
        XCTAssertEqual(result.failures[0].recordID, "line 2")
    }

    func testEditionShapes() throws {
        // Subsenses, raw_glosses only, a gloss string, pos_title instead of pos, no pos at all, sense ids, a sense
        // with no gloss, invalid UTF-8, a too-short gloss.
        let text = """
            {"word":"run","pos":"verb","senses":[{"glosses":["To move.","To move fast on foot."]},{"id":"en-run-1","glosses":["To manage."]}]}
            {"word":"Haus","pos_title":"Substantiv","senses":[{"raw_glosses":["(Bauwesen) Gebäude"]},{"gloss":"Heim"},{"tags":["x"]}]}
            {"word":"xyz","senses":[{"glosses":["Something."]}]}
            {"word":"bad","pos":"noun","senses":[{"glosses":["caf\u{FFFF}"]}]}
            """
        var bytes = Array(text.utf8)
        // Line 4 gets a raw invalid byte in its gloss.
        let marker = Array("caf".utf8)
        let at = (0...(bytes.count - marker.count)).first { Array(bytes[$0..<($0 + marker.count)]) == marker }! + 3
        bytes.replaceSubrange(at..<(at + 3), with: [0xE9])
        let path = try writeScratchFile(self, "shapes.jsonl", bytes + Array("\n{\"word\":\"tiny\",\"pos\":\"noun\",\"senses\":[{\"glosses\":[\"ab\"]}]}\n".utf8))
        let result = readSource(WiktionarySource(path: path, options: .init(minChars: 3)))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.records, [
            Record(id: "run|verb|0", title: "run", body: "To move fast on foot.", category: "verb", ordinal: 0),
            Record(id: "en-run-1", title: "run", body: "To manage.", category: "verb", ordinal: 0),
            Record(id: "Haus|Substantiv|0", title: "Haus", body: "(Bauwesen) Gebäude", category: "Substantiv", ordinal: 1),
            Record(id: "Haus|Substantiv|1", title: "Haus", body: "Heim", category: "Substantiv", ordinal: 1),
            Record(id: "xyz|unknown|0", title: "xyz", body: "Something.", category: "unknown", ordinal: 2),
        ])
        XCTAssertEqual(result.skipped, [.empty: 1, .invalidUTF8: 1, .tooShort: 1])
        XCTAssertEqual(result.failures.map(\.detail), ["line 4 is not valid UTF-8"])

        let joined = readSource(WiktionarySource(path: path, options: .init(glossJoin: .all)))
        XCTAssertEqual(joined.records.first?.body, "To move.; To move fast on foot.")
    }

    func testOverLongLineIsSkippedWithoutBreakingTheNext() throws {
        let huge = #"{"word":"big","pos":"noun","senses":[{"glosses":[""# + String(repeating: "\"x\",", count: 10_000) + #""end"]}]}"#
        let path = try writeScratchFile(self, "long.jsonl", huge + "\n" + #"{"word":"ok","pos":"noun","senses":[{"glosses":["Fine."]}]}"#)
        let result = readSource(WiktionarySource(path: path, options: .init(maxLineBytes: 4096, bufferSize: 4096)))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.records.map(\.title), ["ok"])
        XCTAssertEqual(result.records.first?.ordinal, 1)
        XCTAssertEqual(result.failures.map(\.reason), [.tooLong])
        XCTAssertEqual(result.failures.first?.detail, "line 1 is \(huge.utf8.count) bytes long, more than max_line_bytes 4096")
    }

    func testLanguageFilter() throws {
        let path = try writeScratchFile(self, "langs.jsonl", """
            {"word":"chat","pos":"noun","lang":"French","lang_code":"fr","senses":[{"glosses":["cat"]}]}
            {"word":"cat","pos":"noun","lang":"English","lang_code":"en","senses":[{"glosses":["A feline."]}]}
            {"word":"Katze","pos":"noun","lang":"German","lang_code":"de","senses":[{"glosses":["cat"]}]}
            """)
        let byCode = readSource(WiktionarySource(path: path, options: .init(languages: ["en"])))
        XCTAssertEqual(byCode.records.map(\.title), ["cat"])
        XCTAssertEqual(byCode.skipped, [.filtered: 2])
        XCTAssertTrue(byCode.failures.isEmpty)
        let byName = readSource(WiktionarySource(path: path, options: .init(languages: ["german", "French"])))
        XCTAssertEqual(byName.records.map(\.title), ["chat", "Katze"])
        XCTAssertEqual(readSource(WiktionarySource(path: samplePath, options: .init(languages: ["English"]))).records.count,
                       try countSenses(skipFormOf: true).kept)
    }

    func testResumeReplaysThenContinues() throws {
        let full = readSource(WiktionarySource(path: samplePath), chunkSize: 3)
        for resume in [Int64(1), 4, 9, 10] {
            let resumed = readSource(WiktionarySource(path: samplePath), resumeAfter: resume, chunkSize: 3)
            XCTAssertNil(resumed.error)
            XCTAssertEqual(resumed.normalRecords, full.records.filter { $0.ordinal >= resume }, "resume \(resume)")
            XCTAssertEqual(resumed.replayRecords, full.records.filter { $0.ordinal < resume })
            XCTAssertEqual(resumed.chunks.last(where: \.isReplay)?.checkpoint.items, resume)
            XCTAssertTrue(resumed.chunks.filter(\.isReplay).allSatisfy { $0.skipped.isEmpty && $0.failures.isEmpty })
        }
        let beyond = readSource(WiktionarySource(path: samplePath), resumeAfter: 11)
        XCTAssertEqual(beyond.sourceError?.kind, .wrongFormat)
    }

    func testGzipInputAndProgress() throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: samplePath)))
        let path = try writeScratchFile(self, "sample.jsonl.gz", gzipBytes(bytes))
        let gz = readSource(WiktionarySource(path: path))
        XCTAssertNil(gz.error)
        XCTAssertEqual(gz.records, readSource(WiktionarySource(path: samplePath)).records)
        XCTAssertEqual(gz.chunks.last?.inputBytesRead, WiktionarySource(path: path).inputSize)
    }

    func testMissingEmptyDirectoryAndUTF16Inputs() throws {
        let directory = try sourceScratchDirectory(self)
        XCTAssertEqual(readSource(WiktionarySource(path: directory + "/nope.jsonl")).sourceError?.kind, .missing)
        XCTAssertEqual(readSource(WiktionarySource(path: directory)).sourceError?.kind, .missing)
        let empty = try writeScratchFile(self, "empty.jsonl", [])
        XCTAssertEqual(readSource(WiktionarySource(path: empty)).sourceError?.kind, .empty)
        let utf16 = try writeScratchFile(self, "u16.jsonl", [0xFF, 0xFE] + Array("{}".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let error = readSource(WiktionarySource(path: utf16)).sourceError
        XCTAssertEqual(error?.kind, .wrongFormat)
        XCTAssertTrue(error?.hint?.contains("iconv") == true)
    }
}
