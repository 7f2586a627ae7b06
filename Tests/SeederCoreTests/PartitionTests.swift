import Foundation
import XCTest
@testable import SeederCore

/// `--partition i/N`: parsing, keys split evenly and independently of the ring, multistream dumps split by stream,
/// and partitioned runs that together equal one run.
final class PartitionTests: XCTestCase {
    func testParsingAndTheKubernetesIndex() throws {
        XCTAssertEqual(try Partition(parsing: "2/4"), try Partition(index: 2, count: 4))
        XCTAssertEqual(try Partition(parsing: "0/1").description, "0/1")
        for bad in ["4/4", "-1/4", "1/0", "a/b", "3", "1/2/3", ""] {
            XCTAssertThrowsError(try Partition(parsing: bad), bad) { XCTAssert($0 is PartitionError) }
        }
        XCTAssertEqual(try Partition(count: 4, environment: ["JOB_COMPLETION_INDEX": "3"]), try Partition(index: 3, count: 4))
        XCTAssertThrowsError(try Partition(count: 4, environment: [:])) {
            XCTAssertTrue(String(describing: $0).contains("JOB_COMPLETION_INDEX"), "\($0)")
        }
        XCTAssertThrowsError(try Partition(count: 4, environment: ["JOB_COMPLETION_INDEX": "4"]))
        XCTAssertThrowsError(try Partition(count: 4, environment: ["JOB_COMPLETION_INDEX": "x"]))
    }

    func testEveryKeyBelongsToExactlyOnePartEvenlyAndEachPartSpreadsOverEveryShard() throws {
        let parts = try (0..<4).map { try Partition(index: $0, count: 4) }
        let ring = try ShardRing(shardNames: ["0", "1", "2", "3"])
        var perPart = [Int](repeating: 0, count: 4)
        var shardsPerPart = [[Int]](repeating: [Int](repeating: 0, count: 4), count: 4)
        let n = 40_000
        for i in 0..<n {
            let key = TextHash(normalized: "text number \(i)")
            let owners = parts.indices.filter { parts[$0].owns(key) }
            XCTAssertEqual(owners.count, 1)
            perPart[owners[0]] += 1
            shardsPerPart[owners[0]][ring.shard(for: key)] += 1
        }
        for (p, count) in perPart.enumerated() {
            XCTAssertEqual(Double(count) / Double(n), 0.25, accuracy: 0.02, "part \(p): \(perPart)")
            // Parts are cut from other bits than the ring's: each part's rows still go to every shard evenly.
            for (s, rows) in shardsPerPart[p].enumerated() {
                XCTAssertEqual(Double(rows) / Double(count), 0.25, accuracy: 0.03, "part \(p) shard \(s): \(shardsPerPart[p])")
            }
        }
    }

    // MARK: Multistream dumps: by stream

    func multistream(perStream: Int) throws -> (dump: String, offsets: [Int64]) {
        let dir = try temporaryDirectory(self)
        let generator = try MultistreamDumpGenerator(samplePath: datasetPath("wikipedia/enwiki-pages-articles-sample.xml.bz2"))
        let dump = dir + "/enwiki-test-pages-articles-multistream.xml.bz2"
        let offsets = try generator.write(pages: generator.pages, pagesPerStream: perStream, to: dump,
                                          indexPath: dir + "/enwiki-test-pages-articles-multistream-index.txt.bz2")
        return (dump, offsets)
    }

    func read(_ source: RecordSource, resumeAfter: SourceCheckpoint = .start) -> SourceReadResult {
        var result = SourceReadResult()
        do {
            try source.read(resumeAfter: resumeAfter, chunkSize: 6) { result.chunks.append($0) }
        } catch {
            result.error = error
        }
        return result
    }

    func testAMultistreamDumpSplitsByStreamIntoDisjointPartsThatMakeTheWhole() throws {
        let built = try multistream(perStream: 9)
        let whole = WikipediaPagesSource(path: built.dump)
        let all = read(whole)
        XCTAssertNil(all.error)
        XCTAssertEqual(all.itemsDelivered, 206)
        for count in [2, 3, 4] {
            var ids: [String] = [], items: Int64 = 0
            var skipped: [SkipReason: Int] = [:]
            for index in 0..<count {
                let partition = try Partition(index: index, count: count)
                let part = try XCTUnwrap(whole.reading(partition))
                let result = read(part)
                XCTAssertNil(result.error)
                ids += result.records.map(\.id)
                items += result.itemsDelivered
                result.skipped.forEach { skipped[$0.key, default: 0] += $0.value }
                // Only this part's streams: stream k is part k mod N's.
                for chunk in result.chunks {
                    let stream = try XCTUnwrap(chunk.checkpoint.stream)
                    let k = try XCTUnwrap(built.offsets.firstIndex(of: stream))
                    XCTAssertEqual(k % count, index, "stream \(k) in part \(partition)")
                }
            }
            XCTAssertEqual(ids.count, Set(ids).count, "no page in two parts (N = \(count))")
            XCTAssertEqual(Set(ids), Set(all.records.map(\.id)), "the parts make the whole (N = \(count))")
            XCTAssertEqual(items, 206)
            XCTAssertEqual(skipped, all.skipped)
        }
        // Without its index a dump can't be split by stream: the pipeline splits it by key instead.
        XCTAssertNil(WikipediaPagesSource(path: built.dump, options: .init(index: .none)).reading(try Partition(index: 0, count: 2)))
    }

    func testAPartitionResumesBySeekingWithinItsOwnStreams() throws {
        let built = try multistream(perStream: 10)
        let part = try XCTUnwrap(WikipediaPagesSource(path: built.dump).reading(try Partition(index: 1, count: 3)))
        let full = read(part)
        XCTAssertNil(full.error)
        XCTAssertGreaterThan(full.chunks.count, 3)
        for chunk in full.chunks.dropLast() {
            let resumed = read(part, resumeAfter: chunk.checkpoint)
            XCTAssertNil(resumed.error)
            XCTAssertFalse(resumed.chunks.contains { $0.isReplay }, "a seek, not a replay")
            XCTAssertEqual(resumed.records, full.records.filter { $0.ordinal >= chunk.checkpoint.items }, "resume after \(chunk.checkpoint)")
            XCTAssertEqual(resumed.itemsDelivered, full.itemsDelivered)
        }
    }

    // MARK: Other inputs: by key, through the pipeline

    func testPartitionedRunsByKeyTogetherEqualOneRunAndEmbedEachTextOnce() async throws {
        var texts: [String] = []
        for i in 0..<120 { texts.append("text number \(i % 90) of the partition test") }  // 30 repeats
        texts += ["x", "", "short"]
        let records = makeRecords(texts)
        let spec = ModelCatalog.lookup("minilm-l6")!

        let single = makeJob(dir: try temporaryDirectory(self), shards: 3, chunk: 7)
        let (singleShards, singleRuns) = try openStores(single)
        let one = try await Pipeline(job: single, spec: spec, source: ArraySource(records: records), provider: CountingProvider(),
                                     shards: singleShards, runs: singleRuns).run()

        let split = makeJob(dir: try temporaryDirectory(self), shards: 3, chunk: 7)
        let (shards, runs) = try openStores(split)
        var summaries: [RunSummary] = []
        var asked: [TextHash] = []
        for index in 0..<3 {
            let provider = CountingProvider()
            let partition = try Partition(index: index, count: 3)
            summaries.append(try await Pipeline(job: split, spec: spec, source: ArraySource(records: records), provider: provider,
                                                shards: shards, runs: runs, partition: partition).run())
            asked += provider.asked
            XCTAssertEqual(summaries.last?.partition, "\(index)/3")
        }
        XCTAssertEqual(asked.count, Set(asked).count, "no text embedded by two parts")
        XCTAssertEqual(asked.count, Int(one.counters.embedded))
        for (key, value) in [("texts", \RunCounters.texts), ("embedded", \.embedded), ("stored", \.stored),
                             ("duplicates", \.duplicatesInRun)] as [(String, KeyPath<RunCounters, Int64>)] {
            XCTAssertEqual(summaries.map { $0.counters[keyPath: value] }.reduce(0, +), one.counters[keyPath: value], key)
        }
        // Each part leaves to the others exactly their texts.
        XCTAssertEqual(summaries.map(\.counters.otherPartition).reduce(0, +), 2 * one.counters.texts)
        for s in 0..<3 {
            let expected = try await singleShards[s].digest(), got = try await shards[s].digest()
            XCTAssertEqual(got, expected, "shard \(s)")
        }
        // Each part is a run of its own: a second pass over part 1 resumes nothing and finds it done.
        let again = try await Pipeline(job: split, spec: spec, source: ArraySource(records: records), provider: CountingProvider(),
                                       shards: shards, runs: runs, partition: try Partition(index: 1, count: 3)).run()
        XCTAssertFalse(again.resumed)
        XCTAssertEqual(again.counters.embedded, 0)
        let partOne = try await runs.runs(job: "test").filter { $0.partition == "1/3" }
        XCTAssertEqual(partOne.count, 2)
    }
}
