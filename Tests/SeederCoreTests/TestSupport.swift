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
    let maxConcurrentBatches: Int
    /// How long each request takes, so that concurrent requests overlap.
    private let delay: Duration
    /// Refuses a text (with this message) when it returns non-nil, as a server refuses a text too long even alone.
    private let refuse: @Sendable (String) -> String?
    private var inFlight = 0
    /// The most requests that were in `embed` at once.
    private(set) var maxInFlight = 0

    /// Requests answered before every later one fails as a server gone away does (nil: never).
    private let answers: Int?
    /// Texts of the requests that were answered, in order.
    private(set) var answered: [TextHash] = []

    init(dimensions: Int = 8, limits: BatchLimits = .none, concurrency: Int = 1, delay: Duration = .zero, answers: Int? = nil,
         refuse: @escaping @Sendable (String) -> String? = { _ in nil }) {
        storedModel = .hashStandIn(for: ModelCatalog.lookup("minilm-l6")!, dimensions: dimensions)
        batchLimits = limits
        maxConcurrentBatches = concurrency
        self.delay = delay
        self.answers = answers
        self.refuse = refuse
    }

    /// Sizes of the requests made, in order.
    private(set) var requestSizes: [Int] = []

    func embed(_ batch: [EmbeddingInput]) async throws -> EmbeddingMatrix {
        let down: Bool = lock.withLock {
            asked += batch.map(\.hash)
            requests += 1
            requestSizes.append(batch.count)
            inFlight += 1
            maxInFlight = max(maxInFlight, inFlight)
            return answers.map { requests > $0 } ?? false
        }
        defer { lock.withLock { inFlight -= 1 } }
        if delay > .zero { try await Task.sleep(for: delay) }
        if down { throw ProviderError(provider: kind, message: "no answer from the test server", kind: .unavailable) }
        lock.withLock { answered += batch.map(\.hash) }
        var failed: [Int: String] = [:]
        for (i, input) in batch.enumerated() { failed[i] = refuse(input.text) }
        let kept = batch.indices.filter { failed[$0] == nil }.map { batch[$0].hash }
        var matrix = HashEmbeddingProvider.vectors(for: kept, dimensions: storedModel.dimensions)
        matrix.failed = failed
        return matrix
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

/// A job's shards and the run store in its first one, as `seeder run` opens them.
func openStores(_ job: JobConfig) throws -> (shards: [ShardStore], runs: RunStore) {
    let shards = try openShards(job)
    return (shards, SQLiteRunStore(control: shards[0]))
}

/// `bytes` as one bzip2 stream (libbz2, block size 9), for tests of bzip2 inputs.
func bzip2Compress(_ bytes: [UInt8]) throws -> [UInt8] {
    try MultistreamDumpGenerator.bzip2(bytes)
}
