import Crypto
import Foundation

/// Runs, checkpoints and failures in a PostgreSQL control database (`seeder_runs`, `seeder_failures`), with the
/// semantics of ``SQLiteShard``'s: one transaction per save, safe to redo after a lost connection (the run's
/// insert is `ON CONFLICT (run_id) DO NOTHING`, failures have a unique key).
///
/// The run lock is a session advisory lock held by a connection of its own. If that connection is lost, the
/// lock is taken again on reconnecting; if another process took it meanwhile, every later call throws
/// ``RunLockHeld``: a run must not go on without its lock.
public final class PostgresRunStore: RunStore {
    public let location: ShardLocation
    private let session: PostgresSession
    private let lockSession: PostgresSession
    private let lock: LockState

    /// Touched only on the lock session's queue.
    private final class LockState: @unchecked Sendable {
        var held: (key: Int64, job: String, model: String, partition: String)?
        /// Set when the lock could not be taken back after a reconnect; cleared by the next lockRun/unlockRun.
        var lost: RunLockHeld?
    }

    public init(location: ShardLocation, applicationName: String? = nil, giveUpAfter: Duration = .seconds(300)) throws {
        self.location = location
        let name = applicationName ?? PostgresSession.defaultApplicationName()
        let lock = LockState()
        self.lock = lock
        session = try PostgresSession(location: location, applicationName: name, giveUpAfter: giveUpAfter, role: "runs")
        try session.runBlocking { try PostgresSchema.migrate($0) }
        lockSession = try PostgresSession(location: location, applicationName: name, giveUpAfter: giveUpAfter, role: "lock") { connection in
            // A new connection holds no lock: take back the one the lost connection held.
            guard let held = lock.held, lock.lost == nil else { return }
            if try !Self.tryLock(connection, key: held.key) {
                lock.lost = RunLockHeld(job: held.job, model: held.model, holder: try Self.holder(connection, key: held.key),
                                        partition: held.partition)
            }
        }
    }

    private static let runColumns = """
        run_id, job, model_alias, model, model_version, dimensions, tenant_id, provider, source_kind, input,
        normalizer_version, shard_names, state, checkpoint, counters, error, started_at, updated_at, finished_at,
        active_seconds, attempts, provider_model, price_per_million_tokens, partition
        """

    public func resumableRun(job: String, model: StoredModel, tenant: String, partition: String) async throws -> RunRecord? {
        try await session.run { connection in
            let result = try connection.query("""
                SELECT \(Self.runColumns) FROM seeder_runs
                WHERE job = $1 AND model = $2 AND model_version = $3 AND tenant_id = $4 AND partition = $5 AND state != 'done'
                ORDER BY started_at DESC LIMIT 1
                """, [job, model.model, model.version, tenant, partition])
            return result.rowCount > 0 ? try Self.decodeRun(result, 0) : nil
        }
    }

    public func runs(job: String?) async throws -> [RunRecord] {
        try await session.run { connection in
            let result = try connection.query("""
                SELECT \(Self.runColumns) FROM seeder_runs WHERE $1::text IS NULL OR job = $1 ORDER BY started_at DESC
                """, [job])
            return try (0..<result.rowCount).map { try Self.decodeRun(result, $0) }
        }
    }

    public func insertRun(_ run: RunRecord) async throws {
        try await verifyLock()
        let parameters: [String?] = [
            run.id, run.job, run.modelAlias, run.stored.model, run.stored.version, String(run.stored.dimensions), run.tenant,
            run.provider, run.sourceKind, run.input, run.normalizerVersion, try RunRecordJSON.encode(run.shardNames), run.state.rawValue,
            try RunRecordJSON.encode(run.checkpoint), try RunRecordJSON.encode(run.counters), run.error, Self.seconds(run.startedAt),
            Self.seconds(run.updatedAt), run.finishedAt.map(Self.seconds), String(run.activeSeconds), String(run.attempts),
            run.providerModel, run.pricePerMillionTokens.map { String($0) }, run.partition,
        ]
        try await session.run { connection in
            _ = try connection.query("""
                INSERT INTO seeder_runs (\(Self.runColumns))
                VALUES ($1, $2, $3, $4, $5, $6::integer, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::double precision,
                        $18::double precision, $19::double precision, $20::double precision, $21::integer, $22, $23::double precision, $24)
                ON CONFLICT (run_id) DO NOTHING
                """, parameters)
        }
    }

    public func saveProgress(of run: RunRecord, failures: [RecordFailure]) async throws {
        try await verifyLock()
        let parameters: [String?] = [
            run.id, run.state.rawValue, try RunRecordJSON.encode(run.checkpoint), try RunRecordJSON.encode(run.counters), run.error,
            Self.seconds(run.updatedAt), run.finishedAt.map(Self.seconds), String(run.activeSeconds), String(run.attempts),
            run.providerModel, run.pricePerMillionTokens.map { String($0) },
        ]
        let failureParameters: [String?] = [
            run.id, PostgresArrayLiteral.make(failures.lazy.map { String($0.ordinal) }),
            PostgresArrayLiteral.make(failures.lazy.map(\.recordID)), PostgresArrayLiteral.make(failures.lazy.map(\.reason.rawValue)),
            PostgresArrayLiteral.make(failures.lazy.map(\.detail)),
        ]
        try await session.run { connection in
            try connection.transaction {
                try connection.query("""
                    UPDATE seeder_runs SET state = $2, checkpoint = $3, counters = $4, error = $5, updated_at = $6::double precision,
                      finished_at = $7::double precision, active_seconds = $8::double precision, attempts = $9::integer,
                      provider_model = COALESCE($10, provider_model), price_per_million_tokens = $11::double precision
                    WHERE run_id = $1
                    """, parameters)
                if !failures.isEmpty {
                    // The unique index makes a save redone after a lost COMMIT insert nothing twice.
                    try connection.query("""
                        INSERT INTO seeder_failures (run_id, ordinal, record_id, reason, detail)
                        SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[])
                        ON CONFLICT DO NOTHING
                        """, failureParameters)
                }
            }
        }
    }

    public func failures(runID: String) async throws -> [RecordFailure] {
        try await session.run { connection in
            let result = try connection.query("SELECT ordinal, record_id, reason, detail FROM seeder_failures WHERE run_id = $1 ORDER BY ordinal",
                                              [runID])
            return (0..<result.rowCount).map { row in
                RecordFailure(ordinal: result.int64(row, 0) ?? 0, recordID: result.string(row, 1) ?? "",
                              reason: SkipReason(rawValue: result.string(row, 2) ?? "") ?? .malformed, detail: result.string(row, 3) ?? "")
            }
        }
    }

    // MARK: The run lock

    public func lockRun(job: String, model: StoredModel, tenant: String, partition: String) async throws {
        let key = Self.lockKey(job: job, model: model, tenant: tenant, partition: partition)
        let lock = self.lock
        try await lockSession.run { connection in
            if let held = lock.held, lock.lost == nil {
                if held.key == key { return }
                // One run lock per store: give the previous one back.
                try connection.query("SELECT pg_advisory_unlock($1::bigint)", [String(held.key)])
                lock.held = nil
            }
            guard try Self.tryLock(connection, key: key) else {
                throw RunLockHeld(job: job, model: model.model, holder: try Self.holder(connection, key: key), partition: partition)
            }
            lock.held = (key, job, model.model, partition)
            lock.lost = nil
        }
    }

    public func unlockRun() async throws {
        let lock = self.lock
        try await lockSession.run { connection in
            if let held = lock.held, lock.lost == nil {
                try connection.query("SELECT pg_advisory_unlock($1::bigint)", [String(held.key)])
            }
            lock.held = nil
            lock.lost = nil
        }
    }

    /// Throws ``RunLockHeld`` when the lock was lost to another process. A round trip on the lock's connection
    /// notices a lost connection, and reconnecting takes the lock back (or records who took it).
    private func verifyLock() async throws {
        let lock = self.lock
        try await lockSession.run { connection in
            guard lock.held != nil else { return }
            if let lost = lock.lost { throw lost }
            try connection.execute("SELECT 1")
        }
        try await lockSession.run { _ in
            if let lost = lock.lost { throw lost }
        }
    }

    /// A stable 64-bit key: the first 8 bytes of SHA-256("seeder-run\0" job \0 model \0 version \0 tenant), with
    /// "\0" partition appended for a part of a partitioned job.
    static func lockKey(job: String, model: StoredModel, tenant: String, partition: String = "") -> Int64 {
        let parts = [job, model.model, model.version, tenant] + (partition.isEmpty ? [] : [partition])
        let text = "seeder-run\u{0}" + parts.joined(separator: "\u{0}")
        let digest = Array(SHA256.hash(data: Array(text.utf8)))
        return digest.prefix(8).reduce(Int64(0)) { ($0 << 8) | Int64($1) }
    }

    /// Who holds the run lock of this job, model, tenant and partition in the control database right now: nil when it
    /// is free. Takes it for an instant to tell; creates nothing.
    public static func lockHolder(location: ShardLocation, job: String, model: StoredModel, tenant: String, partition: String) throws -> String? {
        let connection = try PostgresConnection(dsn: location.path, applicationName: StoreOpener.applicationName + " doctor")
        let key = lockKey(job: job, model: model, tenant: tenant, partition: partition)
        if try tryLock(connection, key: key) {
            try connection.query("SELECT pg_advisory_unlock($1::bigint)", [String(key)])
            return nil
        }
        return try holder(connection, key: key)
    }

    private static func tryLock(_ connection: PostgresConnection, key: Int64) throws -> Bool {
        try connection.query("SELECT pg_try_advisory_lock($1::bigint)", [String(key)]).string(0, 0) == "t"
    }

    /// Who holds advisory lock `key`: `pg_locks` shows a 64-bit key as classid (high half) and objid (low half),
    /// objsubid 1.
    private static func holder(_ connection: PostgresConnection, key: Int64) throws -> String {
        let bits = UInt64(bitPattern: key)
        let result = try connection.query("""
            SELECT a.application_name, a.pid::text, COALESCE(host(a.client_addr), 'local socket'), a.backend_start::text
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid::text = $1 AND l.objid::text = $2 AND l.pid <> pg_backend_pid()
            LIMIT 1
            """, [String(UInt32(truncatingIfNeeded: bits >> 32)), String(UInt32(truncatingIfNeeded: bits))])
        guard result.rowCount > 0 else { return "a session that has just let it go" }
        return "application \"\(result.string(0, 0) ?? "")\", server pid \(result.string(0, 1) ?? "?"), from \(result.string(0, 2) ?? "?"), connected since \(result.string(0, 3) ?? "?") UTC"
    }

    // MARK: Encoding

    /// Seconds since 1970 as text, every digit kept (`Double.description` round-trips).
    private static func seconds(_ date: Date) -> String { String(date.timeIntervalSince1970) }

    private static func decodeRun(_ r: PostgresResult, _ row: Int) throws -> RunRecord {
        RunRecord(
            id: r.string(row, 0) ?? "", job: r.string(row, 1) ?? "", modelAlias: r.string(row, 2) ?? "",
            stored: StoredModel(model: r.string(row, 3) ?? "", version: r.string(row, 4) ?? "", dimensions: Int(r.int64(row, 5) ?? 0)),
            tenant: r.string(row, 6) ?? "", provider: r.string(row, 7) ?? "", sourceKind: r.string(row, 8) ?? "",
            input: r.string(row, 9) ?? "", normalizerVersion: r.string(row, 10) ?? "",
            shardNames: try RunRecordJSON.decode([String].self, r.string(row, 11)),
            state: RunRecord.State(rawValue: r.string(row, 12) ?? "") ?? .failed,
            checkpoint: try RunRecordJSON.decode(SourceCheckpoint.self, r.string(row, 13)),
            counters: try RunRecordJSON.decode(RunCounters.self, r.string(row, 14)),
            error: r.string(row, 15),
            startedAt: Date(timeIntervalSince1970: r.double(row, 16) ?? 0),
            updatedAt: Date(timeIntervalSince1970: r.double(row, 17) ?? 0),
            finishedAt: r.double(row, 18).map { Date(timeIntervalSince1970: $0) },
            activeSeconds: r.double(row, 19) ?? 0, attempts: Int(r.int64(row, 20) ?? 1),
            providerModel: r.string(row, 21),
            pricePerMillionTokens: r.double(row, 22), partition: r.string(row, 23) ?? "")
    }
}
