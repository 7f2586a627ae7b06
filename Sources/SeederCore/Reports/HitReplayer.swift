import Foundation

/// Replays a query log against a job's shards (`seeder hits replay`): each query normalized and hashed as the cache
/// does (``TextNormalizer``, ``TextHash``), looked up on the shard the ring gives it, with the job's stored model
/// value, version and tenant. Changes nothing, unless `apply`: then each row's hits are counted in as the cache
/// server counts them (`hit_count`, `last_hit_at`), to try `seeder report` on real data.
///
/// The log is one query a line, or JSON Lines with the query in `query` (or `text`, `input`, `q`) and an optional
/// time in `ts` (or `timestamp`, `time`: ISO 8601, or seconds since 1970). Plain or gzip/bzip2-compressed. It is
/// read in chunks, so memory grows with the distinct rows hit, not with the log.
public struct HitReplayer: Sendable {
    public let shards: [ShardStore]
    public let ring: ShardRing
    public let model: StoredModel
    public let tenant: String
    /// Queries per chunk: one lookup per shard, and with `apply` one transaction per shard.
    let chunk: Int

    public init(shards: [ShardStore], shardNames: [String], model: StoredModel, tenant: String, chunk: Int = 20_000) throws {
        self.shards = shards
        self.ring = try ShardRing(shardNames: shardNames)
        self.model = model
        self.tenant = tenant
        self.chunk = max(1, chunk)
    }

    /// One query of the log.
    struct Query {
        var hash: TextHash
        /// `YYYY-MM-DD HH:MM:SS` (UTC).
        var time: String
    }

    public func replay(log path: String, apply: Bool, now: Date = Date()) async throws -> HitReplayReport {
        var report = HitReplayReport(log: path, model: model.model, modelVersion: model.version, tenant: tenant)
        report.applied = apply
        let nowText = Self.timestamp(now)
        // Rows hit so far, with where seeder says they came from (nil: a row the cache wrote itself).
        var origins: [TextHash: SeededOrigin?] = [:]
        var sourceHits: [String: Int64] = [:]
        var categoryHits: [ExpansionReport.CategoryName: Int64] = [:]
        var sourceRows: [String: Int64] = [:]
        var categoryRows: [ExpansionReport.CategoryName: Int64] = [:]

        let input = try InputFile.open(path)
        let lines = LineReader(source: input.reader, path: path, maxLineBytes: 1 << 20)
        var pending: [Query] = []
        var more = true
        while more {
            pending.removeAll(keepingCapacity: true)
            while pending.count < chunk {
                guard let line = try lines.next() else { more = false; break }
                switch Self.parse(line, now: nowText) {
                case .query(let query): pending.append(query)
                case .skip(let reason):
                    report.skippedLines += 1
                    if report.skippedExamples.count < 5 { report.skippedExamples.append("\(path): \(reason)") }
                case .blank: break
                }
            }
            report.queries += Int64(pending.count)
            guard !pending.isEmpty else { continue }

            // Each distinct key once: how often this chunk asked for it, and when last.
            var asked: [TextHash: (count: Int64, last: String)] = [:]
            for query in pending {
                let seen = asked[query.hash]
                asked[query.hash] = ((seen?.count ?? 0) + 1, max(seen?.last ?? "", query.time))
            }
            let keys = Array(asked.keys)
            let owners = ring.owners(of: keys)
            var byShard = [[TextHash]](repeating: [], count: shards.count)
            for (i, key) in keys.enumerated() { byShard[owners[i]].append(key) }
            let model = self.model, tenant = self.tenant, shards = self.shards
            // Keys not met before: are they stored, and where did seeder get them from.
            let fresh = try await withThrowingTaskGroup(of: [TextHash: SeededOrigin?].self) { group in
                for (s, shardKeys) in byShard.enumerated() where !shardKeys.isEmpty {
                    let unknown = shardKeys.filter { origins[$0] == nil }
                    guard !unknown.isEmpty else { continue }
                    group.addTask {
                        let found = Array(try await shards[s].lookup(unknown, model: model, tenant: tenant))
                        let seeded = try await shards[s].origins(of: found, model: model, tenant: tenant)
                        var out: [TextHash: SeededOrigin?] = [:]
                        for key in found { out[key] = .some(seeded[key]) }
                        return out
                    }
                }
                var all: [TextHash: SeededOrigin?] = [:]
                for try await part in group { all.merge(part) { a, _ in a } }
                return all
            }
            for (key, origin) in fresh {
                origins[key] = .some(origin)
                report.rowsHit += 1
                guard let origin else { continue }
                sourceRows[origin.source, default: 0] += 1
                for name in Self.categories(origin.category) {
                    categoryRows[ExpansionReport.CategoryName(source: origin.source, category: name), default: 0] += 1
                }
            }
            var applying = [[HitCount]](repeating: [], count: shards.count)
            for (i, key) in keys.enumerated() {
                guard let known = origins[key], let hit = asked[key] else { continue }
                report.hits += hit.count
                if apply { applying[owners[i]].append(HitCount(hash: key, count: hit.count, lastHitAt: hit.last)) }
                guard let origin = known else { continue }
                report.seededHits += hit.count
                sourceHits[origin.source, default: 0] += hit.count
                for name in Self.categories(origin.category) {
                    categoryHits[ExpansionReport.CategoryName(source: origin.source, category: name), default: 0] += hit.count
                }
            }
            if apply {
                report.rowsUpdated += try await withThrowingTaskGroup(of: Int.self) { group in
                    for (s, hits) in applying.enumerated() where !hits.isEmpty {
                        group.addTask { try await shards[s].addHits(hits, model: model, tenant: tenant) }
                    }
                    return try await group.reduce(0, +).asInt64
                }
            }
        }
        let queries = report.queries
        func rate(_ hits: Int64) -> Double { queries == 0 ? 0 : Double(hits) / Double(queries) }
        report.bySource = sourceHits.map { HitReplayReport.Group(source: $0.key, category: nil, hits: $0.value, rowsHit: sourceRows[$0.key] ?? 0, hitRate: rate($0.value)) }
            .sorted { ($1.hits, $0.source) < ($0.hits, $1.source) }
        report.byCategory = categoryHits.map {
            HitReplayReport.Group(source: $0.key.source, category: $0.key.category, hits: $0.value, rowsHit: categoryRows[$0.key] ?? 0, hitRate: rate($0.value))
        }.sorted { ($1.hits, $0.source, $0.category ?? "") < ($0.hits, $1.source, $1.category ?? "") }
        if apply { for shard in shards { try await shard.makeDurable() } }
        return report
    }

    enum Parsed {
        case query(Query)
        case skip(String)
        case blank
    }

    static func parse(_ line: LineReader.Line, now: String) -> Parsed {
        switch line {
        case .tooLong(let number, let bytes):
            return .skip("line \(number): \(bytes) bytes, longer than 1 MiB")
        case .text(let number, let bytes):
            guard UTF8Text.isValid(bytes) else { return .skip("line \(number): not valid UTF-8") }
            let text = String(decoding: bytes, as: UTF8.self)
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { return .blank }
            var query = text
            var time = now
            if trimmed.hasPrefix("{") {
                guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
                    return .skip("line \(number): starts with { but is not a JSON object")
                }
                guard let value = ["query", "text", "input", "q"].lazy.compactMap({ object[$0] as? String }).first else {
                    return .skip("line \(number): a JSON object without a query, text, input or q string")
                }
                query = value
                if let stamp = ["ts", "timestamp", "time"].lazy.compactMap({ object[$0] }).first {
                    guard let parsed = Self.time(stamp) else {
                        return .skip("line \(number): its time \(stamp) is neither ISO 8601 nor seconds since 1970")
                    }
                    time = parsed
                }
            }
            let normalized = TextNormalizer.normalize(query)
            guard !normalized.isEmpty else { return .skip("line \(number): the query is empty once normalized") }
            return .query(Query(hash: TextHash(normalized: normalized), time: time))
        }
    }

    static func categories(_ value: String) -> [String] {
        let names = value.split(separator: "|", omittingEmptySubsequences: true).map(String.init)
        return names.isEmpty ? [""] : names
    }

    /// `YYYY-MM-DD HH:MM:SS` in UTC, the form both stores compare as text.
    /// (gmtime_r, not a DateFormatter: this runs for every line of a log with times in it.)
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    static func time(_ value: Any) -> String? {
        if let seconds = value as? Double, seconds.isFinite, seconds >= 0 { return timestamp(Date(timeIntervalSince1970: seconds)) }
        if let seconds = value as? Int, seconds >= 0 { return timestamp(Date(timeIntervalSince1970: Double(seconds))) }
        guard let text = value as? String else { return nil }
        let iso = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            iso.formatOptions = options
            if let date = iso.date(from: text) { return timestamp(date) }
        }
        return nil
    }
}

private extension Int {
    var asInt64: Int64 { Int64(self) }
}
