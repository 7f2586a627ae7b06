import Foundation

/// Builds a job's ``ExpansionReport`` from its shards and runs (`seeder report`).
public struct ExpansionReportBuilder: Sendable {
    public var job: String
    public var model: StoredModel
    public var tenant: String
    public var rule = ExpansionRule()
    /// Texts the next round may seed.
    public var budget = 1_000
    /// Dollars an embedding call costs, saved by each hit (seeds/002's cost model uses $0.0001).
    public var pricePerEmbedding = 0.0001

    public init(job: String, model: StoredModel, tenant: String) {
        self.job = job
        self.model = model
        self.tenant = tenant
    }

    /// Reads every shard's tally and the runs that wrote this model, and records today's totals in the first shard's
    /// history (unless `record` is false), then builds the report.
    public func build(shards: [ShardStore], runs: [RunRecord], now: Date = Date(), record: Bool = true) async throws -> ExpansionReport {
        var tally = CategoryTally()
        for shard in shards { tally.merge(try await shard.categoryTally(model: model, tenant: tenant)) }
        var history = try await shards.first?.history(job: job, model: model, tenant: tenant) ?? []
        let today = ExpansionReport.HistoryPoint(day: String(HitReplayer.timestamp(now).prefix(10)), rows: tally.totals.rows,
                                                 rowsHit: tally.totals.rowsHit, hits: tally.totals.hits)
        if record, let first = shards.first { try await first.recordHistory(job: job, model: model, tenant: tenant, point: today) }
        history.removeAll { $0.day == today.day }
        history.append(today)
        return make(tally: tally, runs: runs, history: history, now: now)
    }

    /// The report from figures already read: the whole rule, with nothing to fetch (what the tests check by hand).
    public func make(tally: CategoryTally, runs: [RunRecord], history: [ExpansionReport.HistoryPoint], now: Date) -> ExpansionReport {
        let average = tally.totals.hitDensity
        let cost = costView(tally: tally, runs: runs)
        var categories = tally.categories.map { name, entry -> ExpansionReport.CategoryFigures in
            let figures = entry.figures
            let (_, upper) = rule.bounds(rows: figures.rows, hits: figures.hits, average: average)
            let share = tally.textBytes > 0 ? Double(entry.textBytes) / Double(tally.textBytes) : 0
            return ExpansionReport.CategoryFigures(
                source: name.source, category: name.category, figures: figures,
                lift: average > 0 ? figures.hitDensity / average : 0, upperBound: upper,
                verdict: rule.verdict(rows: figures.rows, hits: figures.hits, average: average), nextTexts: 0,
                costToMake: cost.costToMake * share, saved: Double(figures.hits) * pricePerEmbedding)
        }
        categories.sort { a, b in
            if a.figures.hits != b.figures.hits { return a.figures.hits > b.figures.hits }
            if a.figures.hitDensity != b.figures.hitDensity { return a.figures.hitDensity > b.figures.hitDensity }
            return (a.source, a.category) < (b.source, b.category)
        }
        let split = rule.split(budget: budget, among: categories.map {
            (ExpansionReport.CategoryName(source: $0.source, category: $0.category), $0.upperBound, $0.verdict)
        })
        for allocation in split {
            if let i = categories.firstIndex(where: { $0.source == allocation.source && $0.category == allocation.category }) {
                categories[i].nextTexts = allocation.texts
            }
        }
        let drop = categories.filter { $0.verdict == .drop }
            .sorted { $0.upperBound != $1.upperBound ? $0.upperBound < $1.upperBound : ($0.source, $0.category) < ($1.source, $1.category) }
            .map { ExpansionReport.CategoryName(source: $0.source, category: $0.category) }
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime]
        return ExpansionReport(job: job, model: model.model, modelVersion: model.version, tenant: tenant, generatedAt: iso.string(from: now),
                               totals: tally.totals, categories: categories,
                               recommendation: .init(rule: rule.description, budget: budget, split: split, drop: drop),
                               cost: cost, history: history)
    }

    /// What the rows cost to make: the tokens the runs that wrote this model's rows in this tenant sent, at their price
    /// per million tokens; a run without a price is counted at `pricePerEmbedding` per row it stored.
    func costView(tally: CategoryTally, runs: [RunRecord]) -> ExpansionReport.CostView {
        let mine = runs.filter { $0.stored.model == model.model && $0.stored.version == model.version && $0.tenant == tenant }
        var tokens: Int64 = 0, cost = 0.0
        var priced = 0, unpriced = 0
        for run in mine {
            tokens += run.counters.tokensSent
            if let price = run.pricePerMillionTokens {
                cost += Double(run.counters.tokensSent) * price / 1_000_000
                priced += 1
            } else {
                cost += Double(run.counters.stored) * pricePerEmbedding
                unpriced += 1
            }
        }
        if mine.isEmpty {
            // Rows with no run on record (moved here, or the runs' store is elsewhere): priced per embedding.
            cost = Double(tally.totals.rows) * pricePerEmbedding
        }
        let basis = priced > 0 && unpriced == 0 ? "runs" : priced > 0 ? "runs+per-embedding" : "per-embedding"
        return ExpansionReport.CostView(pricePerEmbedding: pricePerEmbedding, tokens: tokens, costToMake: cost, costBasis: basis,
                                        saved: Double(tally.totals.hits) * pricePerEmbedding)
    }
}
