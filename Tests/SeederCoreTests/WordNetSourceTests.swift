import Foundation
import XCTest
@testable import SeederCore

/// The WordNet database source, over the bundled data.adv and data.verb and damaged copies.
final class WordNetSourceTests: XCTestCase {
    var directory: String { datasetPath("dictionary/wordnet") }

    /// One default read of the bundled directory, shared by the tests that only look at it (reads take a while in
    /// debug builds).
    nonisolated(unsafe) static var cachedFullRead: SourceReadResult?
    var fullRead: SourceReadResult {
        if let cached = Self.cachedFullRead { return cached }
        let result = readSource(WordNetSource(path: directory), chunkSize: 500)
        Self.cachedFullRead = result
        return result
    }

    /// Synset lines of a data file counted independently: lines not starting with two spaces.
    func synsetLines(_ name: String) throws -> Int {
        let text = try String(contentsOfFile: (directory as NSString).appendingPathComponent(name), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("  ") }.count
    }

    func testDirectoryReadsEveryDataFileInOrder() throws {
        let result = fullRead
        XCTAssertNil(result.error)
        XCTAssertTrue(result.skipped.isEmpty, "\(result.skipped) \(result.failures.prefix(3))")
        let verbs = try synsetLines("data.verb"), adverbs = try synsetLines("data.adv")
        XCTAssertEqual(result.records.filter { $0.id.hasSuffix("-v") }.count, verbs)
        XCTAssertEqual(result.records.filter { $0.id.hasSuffix("-r") }.count, adverbs)
        // Noun and adjective files are absent: verbs first, then adverbs, ordinals across both.
        XCTAssertEqual(result.records.count, verbs + adverbs)
        XCTAssertTrue(result.records.prefix(verbs).allSatisfy { $0.id.hasSuffix("-v") })
        XCTAssertEqual(result.records.map(\.ordinal), (0..<Int64(verbs + adverbs)).map { $0 })
        XCTAssertEqual(result.itemsDelivered, Int64(verbs + adverbs))
        XCTAssertEqual(result.chunks.last?.inputBytesRead, WordNetSource(path: directory).inputSize)
    }

    func testExactSynsets() throws {
        let records = fullRead.records
        XCTAssertEqual(records.first, Record(id: "wordnet:00001740-v", title: "breathe, take a breath, respire, suspire",
                                             body: "draw air into, and expel out of, the lungs", category: "verb.body",
                                             ordinal: 0))
        XCTAssertEqual(records.first { $0.id == "wordnet:00001740-r" },
                       Record(id: "wordnet:00001740-r", title: "a cappella", body: "without musical accompaniment",
                              category: "adv.all", ordinal: Int64(try synsetLines("data.verb"))))
        let full = readSource(WordNetSource(path: directory, options: .init(glossOnly: false)), chunkSize: 1000).records
        XCTAssertEqual(full.first?.body, #"draw air into, and expel out of, the lungs; "I can breathe better when the air is clean"; "The patient is respiring""#)
    }

    func testCategories() throws {
        let records = fullRead.records
        let categories = Set(records.map(\.category))
        XCTAssertTrue(categories.isSubset(of: ["adv.all"] + (29...43).map { Self.verbLexnames[$0 - 29] }), "\(categories)")
        XCTAssertTrue(categories.contains("verb.motion"))
        let byPOS = readSource(WordNetSource(path: directory, options: .init(category: .partOfSpeech)), chunkSize: 1000).records
        XCTAssertEqual(Set(byPOS.map(\.category)), ["verb", "adverb"])
    }

    static let verbLexnames = ["verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition",
                               "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",
                               "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather"]

    /// A WordNet directory holding `files` (name → text).
    func wordnetDirectory(_ files: [String: String]) throws -> String {
        let dir = try sourceScratchDirectory(self)
        for (name, text) in files {
            try Data(text.utf8).write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent(name)))
        }
        return dir
    }

    func testBrokenLinesAreMalformedAndMarkersRemoved() throws {
        let adj = """
              1 license header line
            00001740 00 a 01 able(a) 0 001 ! 00002098 a 0101 | (usually followed by `to') having the necessary means; "able to swim"
            00002098 00 a 03 unable 0 long(p) 1 ice-cold(ip) 0 000 no bar here
            00002312 00 a 03 abaxial 0 dorsal 4 000 | facing away from the axis of an organ or organism
            00002527 00 s 01 adaxial 0 000 | nearest to or facing toward the axis of an organ or organism
            00002730 00 a 01 acroscopic 0 003 ! 00002843 a 0101 | facing or on the side toward the apex
            00002843 00 a zz basiscopic 0 000 | facing or on the side toward the base
            00002956 00 a 02 abducent 0 abducting(a) 0 000 | especially of muscles; drawing away from the midline
            """
        let dir = try wordnetDirectory(["data.adj": adj, "lexnames": "00\tadj.all\t3\n"])
        let result = readSource(WordNetSource(path: dir))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.records.map(\.id), ["wordnet:00001740-a", "wordnet:00002527-s", "wordnet:00002956-a"])
        XCTAssertEqual(result.records.first?.title, "able")
        XCTAssertEqual(result.records.first?.body, "(usually followed by `to') having the necessary means")
        XCTAssertEqual(result.records.last?.title, "abducent, abducting")
        XCTAssertEqual(result.records.map(\.category), ["adj.all", "adj.all", "adj.all"])
        XCTAssertEqual(result.records.map(\.ordinal), [0, 3, 6])
        XCTAssertEqual(result.skipped, [.malformed: 4])
        XCTAssertEqual(result.failures.map(\.detail), [
            "data.adj line 3: no '|' before the gloss",
            "data.adj line 4: w_cnt says 3 words, but the line has only 2",
            "data.adj line 6: p_cnt says 3 pointers, but the line has only 1",
            "data.adj line 7: the word count (w_cnt) is missing or not a hexadecimal number above 0",
        ])
        XCTAssertEqual(WordNetSynset.displayWord("long(p)"), "long")
        XCTAssertEqual(WordNetSynset.displayWord("ice-cold(ip)"), "ice-cold")
        XCTAssertEqual(WordNetSynset.displayWord("a_cappella"), "a cappella")
    }

    func testSingleFileAndMissingLexnames() throws {
        let verb = (directory as NSString).appendingPathComponent("data.verb")
        let single = readSource(WordNetSource(path: verb), chunkSize: 1000)
        XCTAssertEqual(single.records.count, try synsetLines("data.verb"))
        XCTAssertEqual(single.records.first?.category, "verb.body")

        let dir = try wordnetDirectory(["data.adv": "00001740 02 r 01 a_cappella 0 000 | without musical accompaniment\n"])
        XCTAssertEqual(readSource(WordNetSource(path: dir)).records.map(\.category), ["adverb"])
    }

    func testMissingInputs() throws {
        let empty = try sourceScratchDirectory(self)
        let error = readSource(WordNetSource(path: empty)).sourceError
        XCTAssertEqual(error?.kind, .missing)
        XCTAssertTrue(error?.message.contains("data.noun, data.verb, data.adj, data.adv") == true, "\(String(describing: error))")
        XCTAssertEqual(readSource(WordNetSource(path: empty + "/missing")).sourceError?.kind, .missing)
        let dir = try wordnetDirectory(["data.noun": ""])
        XCTAssertEqual(readSource(WordNetSource(path: dir)).sourceError?.kind, .empty)
    }

    func testResume() throws {
        let full = fullRead.records
        let verbs = Int64(try synsetLines("data.verb"))
        for resume in [Int64(5), verbs, verbs + 10] {
            let resumed = readSource(WordNetSource(path: directory), resumeAfter: resume, chunkSize: 997)
            XCTAssertNil(resumed.error)
            XCTAssertEqual(resumed.normalRecords, Array(full[Int(resume)...]), "resume \(resume)")
            XCTAssertEqual(resumed.replayRecords.count, Int(resume))
            XCTAssertEqual(resumed.chunks.last(where: \.isReplay)?.checkpoint.items, resume)
        }
    }
}
