import Foundation

/// Runs and checkpoints, kept in the job's control shard (the first one).
extension SQLiteShard {
    private static let runColumns = """
        run_id, job, model_alias, model, model_version, dimensions, tenant_id, provider, source_kind, input,
        normalizer_version, shard_names, state, checkpoint, counters, error, started_at, updated_at, finished_at,
        active_seconds, attempts, provider_model, price_per_million_tokens, partition
        """

    /// The latest run of this job, model, tenant and partition that did not finish, if any.
    public func resumableRun(job: String, model: StoredModel, tenant: String, partition: String = "") throws -> RunRecord? {
        let statement = try db.cachedStatement("""
            SELECT \(Self.runColumns) FROM seeder_runs
            WHERE job = ?1 AND model = ?2 AND model_version = ?3 AND tenant_id = ?4 AND partition = ?5 AND state != 'done'
            ORDER BY started_at DESC LIMIT 1
            """)
        try statement.bind(job, at: 1)
        try statement.bind(model.model, at: 2)
        try statement.bind(model.version, at: 3)
        try statement.bind(tenant, at: 4)
        try statement.bind(partition, at: 5)
        // Reset after the one row: a statement left mid-result holds a read transaction, which would keep every
        // WAL checkpoint of this connection from completing.
        defer { statement.rewind() }
        return try statement.step() ? try Self.decodeRun(statement) : nil
    }

    /// Every run, newest first, optionally of one job.
    public func runs(job: String? = nil) throws -> [RunRecord] {
        let statement = try db.cachedStatement("""
            SELECT \(Self.runColumns) FROM seeder_runs WHERE ?1 IS NULL OR job = ?1 ORDER BY started_at DESC
            """)
        if let job { try statement.bind(job, at: 1) } else { try statement.bindNull(at: 1) }
        var out: [RunRecord] = []
        while try statement.step() { out.append(try Self.decodeRun(statement)) }
        return out
    }

    /// Records a new run.
    public func insertRun(_ run: RunRecord) throws {
        try db.transaction {
            let statement = try db.cachedStatement("""
                INSERT INTO seeder_runs (\(Self.runColumns))
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)
                """)
            try statement.bind(run.id, at: 1)
            try statement.bind(run.job, at: 2)
            try statement.bind(run.modelAlias, at: 3)
            try statement.bind(run.stored.model, at: 4)
            try statement.bind(run.stored.version, at: 5)
            try statement.bind(Int64(run.stored.dimensions), at: 6)
            try statement.bind(run.tenant, at: 7)
            try statement.bind(run.provider, at: 8)
            try statement.bind(run.sourceKind, at: 9)
            try statement.bind(run.input, at: 10)
            try statement.bind(run.normalizerVersion, at: 11)
            try statement.bind(try RunRecordJSON.encode(run.shardNames), at: 12)
            try statement.bind(run.state.rawValue, at: 13)
            try statement.bind(try RunRecordJSON.encode(run.checkpoint), at: 14)
            try statement.bind(try RunRecordJSON.encode(run.counters), at: 15)
            if let error = run.error { try statement.bind(error, at: 16) } else { try statement.bindNull(at: 16) }
            try statement.bind(run.startedAt.timeIntervalSince1970, at: 17)
            try statement.bind(run.updatedAt.timeIntervalSince1970, at: 18)
            if let f = run.finishedAt { try statement.bind(f.timeIntervalSince1970, at: 19) } else { try statement.bindNull(at: 19) }
            try statement.bind(run.activeSeconds, at: 20)
            try statement.bind(Int64(run.attempts), at: 21)
            if let p = run.providerModel { try statement.bind(p, at: 22) } else { try statement.bindNull(at: 22) }
            if let p = run.pricePerMillionTokens { try statement.bind(p, at: 23) } else { try statement.bindNull(at: 23) }
            try statement.bind(run.partition, at: 24)
            try statement.run()
        }
    }

    /// Saves a run's state, checkpoint, counters and the failures of the chunk just committed, atomically:
    /// after a crash, the counters and failures are exactly those of the checkpoint.
    public func saveProgress(of run: RunRecord, failures: [RecordFailure]) throws {
        try db.transaction {
            let statement = try db.cachedStatement("""
                UPDATE seeder_runs SET state = ?2, checkpoint = ?3, counters = ?4, error = ?5, updated_at = ?6,
                  finished_at = ?7, active_seconds = ?8, attempts = ?9, provider_model = COALESCE(?10, provider_model),
                  price_per_million_tokens = ?11
                WHERE run_id = ?1
                """)
            try statement.bind(run.id, at: 1)
            try statement.bind(run.state.rawValue, at: 2)
            try statement.bind(try RunRecordJSON.encode(run.checkpoint), at: 3)
            try statement.bind(try RunRecordJSON.encode(run.counters), at: 4)
            if let error = run.error { try statement.bind(error, at: 5) } else { try statement.bindNull(at: 5) }
            try statement.bind(run.updatedAt.timeIntervalSince1970, at: 6)
            if let f = run.finishedAt { try statement.bind(f.timeIntervalSince1970, at: 7) } else { try statement.bindNull(at: 7) }
            try statement.bind(run.activeSeconds, at: 8)
            try statement.bind(Int64(run.attempts), at: 9)
            if let p = run.providerModel { try statement.bind(p, at: 10) } else { try statement.bindNull(at: 10) }
            if let p = run.pricePerMillionTokens { try statement.bind(p, at: 11) } else { try statement.bindNull(at: 11) }
            try statement.run()
            let insert = try db.cachedStatement("INSERT INTO seeder_failures (run_id, ordinal, record_id, reason, detail) VALUES (?1, ?2, ?3, ?4, ?5)")
            for failure in failures {
                insert.reset()
                try insert.bind(run.id, at: 1)
                try insert.bind(failure.ordinal, at: 2)
                try insert.bind(failure.recordID, at: 3)
                try insert.bind(failure.reason.rawValue, at: 4)
                try insert.bind(failure.detail, at: 5)
                try insert.run()
            }
        }
    }

    /// The failures recorded for a run, in input order.
    public func failures(runID: String) throws -> [RecordFailure] {
        let statement = try db.cachedStatement("SELECT ordinal, record_id, reason, detail FROM seeder_failures WHERE run_id = ?1 ORDER BY ordinal")
        try statement.bind(runID, at: 1)
        var out: [RecordFailure] = []
        while try statement.step() {
            out.append(RecordFailure(ordinal: statement.int64(at: 0), recordID: statement.string(at: 1) ?? "",
                                     reason: SkipReason(rawValue: statement.string(at: 2) ?? "") ?? .malformed,
                                     detail: statement.string(at: 3) ?? ""))
        }
        return out
    }

    private static func decodeRun(_ s: SQLiteStatement) throws -> RunRecord {
        RunRecord(
            id: s.string(at: 0) ?? "", job: s.string(at: 1) ?? "", modelAlias: s.string(at: 2) ?? "",
            stored: StoredModel(model: s.string(at: 3) ?? "", version: s.string(at: 4) ?? "", dimensions: Int(s.int64(at: 5))),
            tenant: s.string(at: 6) ?? "", provider: s.string(at: 7) ?? "", sourceKind: s.string(at: 8) ?? "",
            input: s.string(at: 9) ?? "", normalizerVersion: s.string(at: 10) ?? "",
            shardNames: try RunRecordJSON.decode([String].self, s.string(at: 11)),
            state: RunRecord.State(rawValue: s.string(at: 12) ?? "") ?? .failed,
            checkpoint: try RunRecordJSON.decode(SourceCheckpoint.self, s.string(at: 13)),
            counters: try RunRecordJSON.decode(RunCounters.self, s.string(at: 14)),
            error: s.isNull(at: 15) ? nil : s.string(at: 15),
            startedAt: Date(timeIntervalSince1970: s.double(at: 16)),
            updatedAt: Date(timeIntervalSince1970: s.double(at: 17)),
            finishedAt: s.isNull(at: 18) ? nil : Date(timeIntervalSince1970: s.double(at: 18)),
            activeSeconds: s.double(at: 19), attempts: Int(s.int64(at: 20)),
            providerModel: s.isNull(at: 21) ? nil : s.string(at: 21),
            pricePerMillionTokens: s.isNull(at: 22) ? nil : s.double(at: 22), partition: s.string(at: 23) ?? "")
    }
}
