// Placeholder until the libpq store lands (branch issue-4-pg); deleted by that merge.
public final class PostgresShard: ShardStore {
    public let location: ShardLocation
    public init(location: ShardLocation, applicationName: String? = nil, giveUpAfter: Duration = .seconds(300)) throws {
        throw StoreError(shard: location, message: "PostgreSQL shards are not built in yet")
    }
    public func lookup(_ hashes: [TextHash], model: StoredModel, tenant: String) async throws -> Set<TextHash> { [] }
    public func keysWritten(runID: String, after items: Int64) async throws -> Set<TextHash> { [] }
    public func write(_ batch: ShardBatch, model: StoredModel, tenant: String, runID: String, chunkEnd: Int64, source: String) async throws -> Int { 0 }
    public func makeDurable() async throws {}
    public func finish() async throws {}
    public func digest() async throws -> ShardDigest { ShardDigest(rows: 0, sha256: "") }
    public func inspect() async throws -> ShardInspection { ShardInspection(rows: 0, schemaVersion: 0, expectedSchemaVersion: 0, schemaProblems: []) }
    public func scanKeys(after cursor: RowKey?, limit: Int) async throws -> [RowKey] { [] }
    public func readRows(_ keys: [RowKey]) async throws -> [StoredRow] { [] }
    public func insertRows(_ rows: [StoredRow]) async throws -> Int { 0 }
    public func deleteRows(_ keys: [RowKey]) async throws -> Int { 0 }
    public func close() async {}
}
public final class PostgresRunStore: RunStore {
    public init(location: ShardLocation, applicationName: String? = nil, giveUpAfter: Duration = .seconds(300)) throws {
        throw StoreError(shard: location, message: "PostgreSQL shards are not built in yet")
    }
    public func resumableRun(job: String, model: StoredModel, tenant: String) async throws -> RunRecord? { nil }
    public func runs(job: String?) async throws -> [RunRecord] { [] }
    public func insertRun(_ run: RunRecord) async throws {}
    public func saveProgress(of run: RunRecord, failures: [RecordFailure]) async throws {}
    public func failures(runID: String) async throws -> [RecordFailure] { [] }
    public func lockRun(job: String, model: StoredModel, tenant: String) async throws {}
    public func unlockRun() async throws {}
}
