import Foundation
import XCTest
@testable import SeederCore

/// A fresh temporary folder, removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("seeder-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// A source over records held in memory, honouring the resume contract, for pipeline tests.
struct ArraySource: RecordSource {
    var records: [Record]
    var kind: String { "test" }
    var inputSize: Int64? { nil }

    func read(resumeAfter: SourceCheckpoint, chunkSize: Int, deliver: (RecordChunk) throws -> Void) throws {
        var index = 0
        if resumeAfter.items > 0 {
            let replay = Array(records.prefix(Int(resumeAfter.items)))
            try deliver(RecordChunk(records: replay, checkpoint: resumeAfter, isReplay: true))
            index = replay.count
        }
        while index < records.count {
            let end = min(index + chunkSize, records.count)
            try deliver(RecordChunk(records: Array(records[index..<end]), checkpoint: SourceCheckpoint(items: Int64(end))))
            index = end
        }
    }
}

/// A provider that counts what it is asked and answers with the hash provider's vectors.
final class CountingProvider: EmbeddingProvider, @unchecked Sendable {
    let kind = "hash"
    let storedModel: StoredModel
    private let lock = NSLock()
    private(set) var asked: [TextHash] = []
    private(set) var requests = 0

    let batchLimits: BatchLimits

    init(dimensions: Int = 8, limits: BatchLimits = .none) {
        storedModel = .hashStandIn(for: ModelCatalog.lookup("minilm-l6")!, dimensions: dimensions)
        batchLimits = limits
    }

    /// Sizes of the requests made, in order.
    private(set) var requestSizes: [Int] = []

    func embed(_ batch: [EmbeddingInput]) async throws -> EmbeddingMatrix {
        lock.withLock {
            asked += batch.map(\.hash)
            requests += 1
            requestSizes.append(batch.count)
        }
        return HashEmbeddingProvider.vectors(for: batch.map(\.hash), dimensions: storedModel.dimensions)
    }
}

func makeRecords(_ texts: [String]) -> [Record] {
    texts.enumerated().map { Record(id: "r\($0)", title: "T\($0)", body: $1, ordinal: Int64($0)) }
}

func makeJob(dir: String, shards: Int = 3, chunk: Int = 4, maxItems: Int = 3) -> JobConfig {
    JobConfig(name: "test", file: nil, description: "",
              source: .init(kind: "test", input: "memory", texts: ["{body}"], minChars: 3, maxChars: 1000),
              model: .init(name: "minilm-l6", dimensions: 8), provider: .init(kind: "hash"),
              store: .init(kind: "sqlite", shards: (0..<shards).map { ShardLocation(name: String($0), path: "\(dir)/s\($0).sqlite") },
                           tenant: "public", durability: .normal),
              batch: .init(maxItems: maxItems, maxTokens: 10_000, chunkRecords: chunk, bytesPerToken: 3))
}

func openShards(_ job: JobConfig) throws -> [ShardWorker] {
    try job.store.shards.map { try ShardWorker(location: $0, durability: .normal) }
}
