import Foundation
import XCTest
@testable import SeederCore

final class CoreTypesTests: XCTestCase {
    func testTextHashHexRoundTripsAndMatchesSHA256() throws {
        let hash = TextHash(normalized: "abc")
        XCTAssertEqual(hash.hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(TextHash(hex: hash.hex), hash)
        XCTAssertEqual(TextHash(hex: hash.hex.uppercased()), hash)
        XCTAssertNil(TextHash(hex: "xyz"))
        XCTAssertNil(TextHash(hex: String(hash.hex.dropLast()) + "g"))
        XCTAssertEqual(hash.bytes.count, 32)
    }

    func testBatcherRespectsItemAndTokenLimits() {
        let batcher = Batcher(maxItems: 3, maxTokens: 10)
        let tokens = [4, 4, 4, 1, 1, 1, 1, 20, 2]
        let batches = batcher.cut(tokens: tokens)
        XCTAssertEqual(batches, [0..<2, 2..<5, 5..<7, 7..<8, 8..<9])
        for b in batches where b.count > 1 {
            XCTAssertLessThanOrEqual(b.count, 3)
            XCTAssertLessThanOrEqual(tokens[b].reduce(0, +), 10)
        }
        XCTAssertEqual(batcher.cut(tokens: []), [])
        XCTAssertEqual(batcher.estimateTokens(utf8Count: 30, maxInputTokens: 256), 12)
        XCTAssertEqual(batcher.estimateTokens(utf8Count: 30_000, maxInputTokens: 256), 256)
    }

    func testSeenSetFindsEveryInsertedKeyAndNothingElseAcrossGrowth() {
        var set = SeenSet(capacity: 4)
        var rng = SplitMix64(seed: 1)
        var keys: [TextHash] = []
        for _ in 0..<50_000 { keys.append(TextHash(words: rng.next(), rng.next(), 0, 0)) }
        keys.append(TextHash(words: 0, 0, 0, 0))
        for k in keys { XCTAssertTrue(set.insert(k)) }
        XCTAssertEqual(set.count, keys.count)
        for k in keys { XCTAssertFalse(set.insert(k)); XCTAssertTrue(set.contains(k)) }
        for _ in 0..<10_000 { XCTAssertFalse(set.contains(TextHash(words: rng.next(), rng.next(), 0, 0))) }
    }

    func testHashProviderIsDeterministicUnitLengthAndDistinct() async throws {
        let spec = try XCTUnwrap(ModelCatalog.lookup("minilm-l6"))
        let provider = HashEmbeddingProvider(spec: spec, dimensions: 384)
        let inputs = ["a", "b", "a"].map { EmbeddingInput(text: $0, hash: TextHash(normalized: $0), estimatedTokens: 1) }
        let m1 = try await provider.embed(inputs)
        let m2 = try await provider.embed(inputs)
        XCTAssertEqual(m1, m2)
        XCTAssertEqual(m1.rows, 3)
        XCTAssertEqual(m1.values.count, 3 * 384)
        for r in 0..<3 {
            let row = m1.values[(r * 384)..<((r + 1) * 384)]
            XCTAssertEqual(row.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4)
            XCTAssertTrue(row.allSatisfy(\.isFinite))
        }
        XCTAssertEqual(Array(m1.values[0..<384]), Array(m1.values[768..<1152]))
        XCTAssertNotEqual(Array(m1.values[0..<384]), Array(m1.values[384..<768]))
        XCTAssertEqual(HashEmbeddingProvider.vectors(for: [inputs[0].hash], dimensions: 7).values.count, 7, "any dimension")
    }

    func testStoredModelValuesCarryTaskAndTruncation() throws {
        let nomic = try XCTUnwrap(ModelCatalog.lookup("nomic-v1.5"))
        XCTAssertEqual(StoredModel.real(nomic, dimensions: 768).model, "nomic-ai/nomic-embed-text-v1.5|task=search_document")
        XCTAssertEqual(StoredModel.real(nomic, dimensions: 256).model, "nomic-ai/nomic-embed-text-v1.5|task=search_document|dim=256")
        let minilm = try XCTUnwrap(ModelCatalog.lookup("sentence-transformers/all-MiniLM-L6-v2"))
        XCTAssertEqual(StoredModel.real(minilm, dimensions: 384).model, "sentence-transformers/all-MiniLM-L6-v2")
        let standIn = StoredModel.hashStandIn(for: minilm, dimensions: 384)
        XCTAssertTrue(standIn.model.hasPrefix("seeder-hash|not-a-real-model|"))
        XCTAssertNotEqual(standIn.version, minilm.version)
        XCTAssertFalse(ModelCatalog.all.contains { $0.canonicalID == standIn.model })
    }

    func testCatalogHasTheRequiredAliases() throws {
        let nomic = try XCTUnwrap(ModelCatalog.lookup("nomic-v1.5"))
        XCTAssertEqual(nomic.canonicalID, "nomic-ai/nomic-embed-text-v1.5")
        XCTAssertEqual(nomic.dimensions, 768)
        XCTAssertEqual(nomic.minimumDimensions, 64)
        XCTAssertEqual(nomic.documentPrefix, "search_document: ")
        XCTAssertEqual(nomic.maxInputTokens, 8192)
        let minilm = try XCTUnwrap(ModelCatalog.lookup("MINILM-L6"))
        XCTAssertEqual(minilm.canonicalID, "sentence-transformers/all-MiniLM-L6-v2")
        XCTAssertEqual(minilm.dimensions, 384)
        XCTAssertEqual(minilm.maxInputTokens, 256)
        XCTAssertEqual(Set(ModelCatalog.all.map(\.alias)).count, ModelCatalog.all.count)
    }

    func testTemplatesRenderFieldsAndSkipEmptyRecords() throws {
        let record = Record(id: "7", title: "Anarchism", body: "Anarchism is a political philosophy.", url: "u", category: "c", ordinal: 0)
        XCTAssertEqual(try TextTemplate("{body}").render(record), "Anarchism is a political philosophy.")
        XCTAssertEqual(try TextTemplate("{title}: {abstract} [{category}]").render(record), "Anarchism: Anarchism is a political philosophy. [c]")
        XCTAssertNil(try TextTemplate("Title: {title}").render(Record(id: "", title: "", body: "", ordinal: 0)))
        XCTAssertThrowsError(try TextTemplate("{body"))
    }

    func testChannelDeliversInOrderAppliesBackPressureAndCancels() async throws {
        let channel = ChunkChannel<Int>(capacity: 2)
        let producerDone = expectation(description: "producer unblocked by cancel")
        let thread = Thread {
            var sent = 0
            do {
                for i in 0..<1_000 { try channel.send(i); sent += 1 }
                channel.finish()
            } catch {
                XCTAssertTrue(error is CancellationError)
                XCTAssertLessThan(sent, 1_000)
                producerDone.fulfill()
            }
        }
        thread.start()
        for expected in 0..<10 { let value = try await channel.next(); XCTAssertEqual(value, expected) }
        channel.cancel()
        await fulfillment(of: [producerDone], timeout: 10)

        let errors = ChunkChannel<Int>(capacity: 1)
        let t2 = Thread { try? errors.send(1); errors.finish(throwing: SourceError(.empty, file: "f", message: "m")) }
        t2.start()
        let one = try await errors.next()
        XCTAssertEqual(one, 1)
        do { _ = try await errors.next(); XCTFail("expected the producer's error") } catch { XCTAssertTrue(error is SourceError) }
    }

    func testCountersSavedByAnOlderSeederStillLoad() throws {
        // Before tokensEstimated existed, every token count was an estimate.
        let old = #"{"alreadyStored":1,"batchesSent":2,"duplicatesInRun":0,"embedded":5,"inputBytesRead":9,"itemsRead":7,"records":6,"skipped":{"too_short":1},"stored":5,"texts":6,"textsSent":5,"tokensSent":40}"#
        let counters = try JSONDecoder().decode(RunCounters.self, from: Data(old.utf8))
        XCTAssertEqual(counters.tokensSent, 40)
        XCTAssertEqual(counters.tokensEstimated, 40)
        XCTAssertEqual(counters.skipped, ["too_short": 1])
        XCTAssertEqual(counters.itemsRead, 7)
        var fresh = RunCounters()
        fresh.tokensSent = 12
        XCTAssertEqual(try JSONDecoder().decode(RunCounters.self, from: JSONEncoder().encode(fresh)), fresh, "round trip")
    }
}
