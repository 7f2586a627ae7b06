import Foundation
import SeederCore
import XCTest

/// Each kind of bad input gets a clear error (naming the file and a position, with the documented exit
/// status) or a counted skip, and nothing already committed is lost.
final class BadInputTests: XCTestCase {
    var seeder: SeederBinary!
    var dir: String!

    override func setUpWithError() throws {
        seeder = try SeederBinary.locate()
        dir = try makeTemporaryDirectory(self)
    }

    private func job(input: String, extra: String = "") throws -> String {
        let path = "\(dir!)/job-\(UUID().uuidString.prefix(8)).toml"
        try writeJob(at: path, input: input, shards: ["\(dir!)/s0.sqlite", "\(dir!)/s1.sqlite"], extra: extra)
        return path
    }

    private func rows() throws -> Int {
        try ["\(dir!)/s0.sqlite", "\(dir!)/s1.sqlite"].reduce(0) {
            $0 + (try SQLiteShard(location: ShardLocation(name: "x", path: $1), durability: .normal, readOnly: true).digest().rows)
        }
    }

    private func gzip(_ data: Data, to path: String) throws {
        let plain = path + ".plain"
        try data.write(to: URL(fileURLWithPath: plain))
        let r = try ChildProcess.run(["/bin/sh", "-c", "gzip -c '\(plain)' > '\(path)'"])
        XCTAssertEqual(r.status, 0)
    }

    func testTruncatedGzipStopsWithDataErrorAndKeepsWhatWasCommitted() throws {
        let full = "\(dir!)/full.xml.gz"
        try AbstractsDumpGenerator(samplePath: Repo.abstractsSample).write(count: 3_000, to: full)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: full))
        let cut = "\(dir!)/cut.xml.gz"
        try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: cut))
        let job = try job(input: cut)

        let first = try seeder.run(["run", job, "--quiet"])
        XCTAssertEqual(first.status, SeederExitCode.dataError.rawValue, first.stderr)
        XCTAssertTrue(first.stderr.contains(cut), first.stderr)
        XCTAssertTrue(first.stderr.contains("byte"), "the error gives a position: \(first.stderr)")
        let committed = try rows()
        XCTAssertGreaterThan(committed, 100, "the documents before the cut were committed")

        // Again: same error, nothing lost, nothing new; status shows why it stopped.
        let second = try seeder.run(["run", job, "--quiet"])
        XCTAssertEqual(second.status, SeederExitCode.dataError.rawValue)
        XCTAssertEqual(try rows(), committed)
        let status = try seeder.run(["status", job])
        XCTAssertTrue(status.stdout.contains("failed"), status.stdout)
        XCTAssertTrue(status.stdout.contains("gzip"), status.stdout)
    }

    func testTruncatedXMLStopsWithDataError() throws {
        let sample = try Data(contentsOf: URL(fileURLWithPath: Repo.abstractsSample))
        let path = "\(dir!)/cut.xml"
        try sample.prefix(sample.count / 2).write(to: URL(fileURLWithPath: path))
        let r = try seeder.run(["run", try job(input: path), "--quiet"])
        XCTAssertEqual(r.status, SeederExitCode.dataError.rawValue, r.stderr)
        XCTAssertTrue(r.stderr.contains(path) && r.stderr.contains("line"), r.stderr)
        XCTAssertGreaterThan(try rows(), 10)
    }

    func testFileThatIsNotXMLIsRejected() throws {
        let path = "\(dir!)/notes.xml"
        try "just some notes, not a dump\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try seeder.run(["run", try job(input: path), "--quiet"])
        XCTAssertEqual(r.status, SeederExitCode.dataError.rawValue, r.stderr)
        XCTAssertTrue(r.stderr.contains(path), r.stderr)
    }

    func testInvalidUTF8InOneAbstractSkipsOnlyThatDocument() throws {
        var xml = Data("<feed>\n".utf8)
        for i in 0..<5 {
            xml += Data("<doc><title>Wikipedia: Doc \(i)</title><url>https://en.wikipedia.org/wiki/Doc_\(i)</url><abstract>".utf8)
            xml += Data("Document number \(i) is a perfectly ordinary abstract about things.".utf8)
            if i == 2 { xml += Data([0xC3, 0x28, 0xFF]) }
            xml += Data("</abstract></doc>\n".utf8)
        }
        xml += Data("</feed>\n".utf8)
        let path = "\(dir!)/bad-utf8.xml"
        try xml.write(to: URL(fileURLWithPath: path))
        let r = try seeder.run(["run", try job(input: path), "--quiet", "--summary-json", "\(dir!)/s.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir!)/s.json")))
        XCTAssertEqual(summary.counters.skipped["invalid_utf8"], 1)
        XCTAssertEqual(summary.counters.stored, 4)
        let control = try SQLiteShard(location: ShardLocation(name: "0", path: "\(dir!)/s0.sqlite"), durability: .normal, readOnly: true)
        let failures = try control.failures(runID: summary.runID)
        XCTAssertEqual(failures.map(\.reason), [.invalidUTF8])
        XCTAssertEqual(failures.first?.ordinal, 2)
    }

    func testFiftyMegabyteAbstractIsSkippedAsTooLong() throws {
        let path = "\(dir!)/huge.xml.gz"
        var xml = Data("<feed>\n<doc><title>Wikipedia: Small</title><url>u1</url><abstract>A small abstract that is long enough to keep.</abstract></doc>\n".utf8)
        xml += Data("<doc><title>Wikipedia: Huge</title><url>u2</url><abstract>".utf8)
        xml += Data(repeating: UInt8(ascii: "a"), count: 50 << 20)
        xml += Data("</abstract></doc>\n<doc><title>Wikipedia: After</title><url>u3</url><abstract>Another abstract that comes after the huge one.</abstract></doc>\n</feed>\n".utf8)
        try gzip(xml, to: path)
        let r = try seeder.run(["run", try job(input: path), "--quiet", "--summary-json", "\(dir!)/s.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir!)/s.json")))
        XCTAssertEqual(summary.counters.skipped["too_long"], 1)
        XCTAssertEqual(summary.counters.stored, 2)
    }

    func testEmptyFileAndMissingFileAreNoInput() throws {
        let empty = "\(dir!)/empty.xml"
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let r1 = try seeder.run(["run", try job(input: empty), "--quiet"])
        XCTAssertEqual(r1.status, SeederExitCode.noInput.rawValue, r1.stderr)
        XCTAssertTrue(r1.stderr.contains(empty) && r1.stderr.contains("empty"), r1.stderr)

        let missing = "\(dir!)/nowhere.xml.gz"
        let r2 = try seeder.run(["run", try job(input: missing), "--quiet"])
        XCTAssertEqual(r2.status, SeederExitCode.noInput.rawValue, r2.stderr)
        XCTAssertTrue(r2.stderr.contains(missing), r2.stderr)
    }

    func testMisspeltKeyInJobFileNamesTheKeyAndSuggestsTheRightOne() throws {
        let path = "\(dir!)/typo.toml"
        try """
            [source]
            kind = "wikipedia-abstracts"
            inptu = "x.xml"
            [model]
            name = "minilm-l6"
            [store]
            shards = ["s.sqlite"]
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try seeder.run(["run", path])
        XCTAssertEqual(r.status, SeederExitCode.configuration.rawValue, r.stderr)
        XCTAssertTrue(r.stderr.contains(path) && r.stderr.contains("source.inptu") && r.stderr.contains("source.input"), r.stderr)
    }

    func testUnknownModelAliasIsAConfigurationError() throws {
        let r = try seeder.run(["run", try job(input: Repo.abstractsSample), "--model", "nomic-v15"])
        XCTAssertEqual(r.status, SeederExitCode.configuration.rawValue, r.stderr)
        XCTAssertTrue(r.stderr.contains("unknown model 'nomic-v15'") && r.stderr.contains("nomic-v1.5"), r.stderr)
    }

    func testUnwritableShardPathIsAStoreError() throws {
        let blocker = "\(dir!)/a-file"
        _ = FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
        let r = try seeder.run(["run", try job(input: Repo.abstractsSample), "--shards", "\(blocker)/shard.sqlite"])
        XCTAssertEqual(r.status, SeederExitCode.storeUnavailable.rawValue, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(blocker)/shard.sqlite"), r.stderr)
    }

    func testReRunOfAFinishedJobStoresNothingAndCallsNoProvider() throws {
        let job = try job(input: Repo.abstractsSample)
        XCTAssertEqual(try seeder.run(["run", job, "--quiet"]).status, 0)
        let before = try rows()
        let journal = "\(dir!)/journal"
        let r = try seeder.run(["run", job, "--quiet", "--summary-json", "\(dir!)/s.json"], environment: ["SEEDER_HASH_JOURNAL": journal])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir!)/s.json")))
        XCTAssertEqual(summary.counters.stored, 0)
        XCTAssertEqual(summary.counters.textsSent, 0)
        XCTAssertEqual(summary.counters.alreadyStored, Int64(before))
        XCTAssertEqual(FileManager.default.contents(atPath: journal)?.count ?? 0, 0, "the provider was not called")
        XCTAssertEqual(try rows(), before)
    }
}
