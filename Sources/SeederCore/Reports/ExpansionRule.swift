import Foundation

/// How `seeder report` judges categories and splits the next round's texts: an upper confidence bound on each
/// category's hit density (hits per row), from a Gamma–Poisson model.
///
/// A category's hits are taken as Poisson with rate `rows × λ`, and λ gets a Gamma prior centred on the average
/// density `d̄` (all rows' hits over all rows) worth `priorRows` rows. The posterior mean is
/// `(d̄·priorRows + hits) / (priorRows + rows)`, its standard deviation `√(d̄·priorRows + hits) / (priorRows + rows)`,
/// and the upper bound is the mean plus `z` deviations (z = 1.645: one-sided 95%). Why this rule: a category with few
/// rows has a wide bound, so it still gets a share of the next round (explored) until its own hits say otherwise;
/// one with many rows is judged on its own figures; and the split goes where the hits per new text are likely
/// highest, in proportion rather than all to the top one, which keeps the next round's measurement broad.
public struct ExpansionRule: Sendable, Equatable {
    /// The prior's weight, in rows.
    public var priorRows: Double = 10
    /// Deviations above the posterior mean.
    public var z: Double = 1.645
    /// Rows a category needs before it can be judged not worth keeping, or anything but "explore".
    public var minRows: Int64 = 20
    /// A category is dropped when even its upper bound is below this fraction of the average density.
    public var dropBelow: Double = 0.25
    /// Categories that share the next round at most (the highest bounds).
    public var maxCategories: Int = 20

    public init() {}

    /// The posterior mean and upper bound of a category's density, given the average density.
    public func bounds(rows: Int64, hits: Int64, average: Double) -> (mean: Double, upper: Double) {
        let alpha = average * priorRows + Double(hits), beta = priorRows + Double(rows)
        guard beta > 0 else { return (0, 0) }
        return (alpha / beta, alpha / beta + z * alpha.squareRoot() / beta)
    }

    /// The verdict on a category.
    public func verdict(rows: Int64, hits: Int64, average: Double) -> ExpansionReport.Verdict {
        let (mean, upper) = bounds(rows: rows, hits: hits, average: average)
        if rows < minRows { return upper >= average ? .explore : .keep }
        if upper < dropBelow * average { return .drop }
        if mean > average { return .expand }
        return .keep
    }

    /// Splits `budget` texts among the categories to expand or explore, in proportion to their upper bounds (the
    /// `maxCategories` highest); whole texts by largest remainder, ties to the earlier category in `order`.
    public func split(budget: Int, among candidates: [(name: ExpansionReport.CategoryName, upper: Double, verdict: ExpansionReport.Verdict)])
        -> [ExpansionReport.Allocation] {
        let chosen = candidates.enumerated()
            .filter { ($0.element.verdict == .expand || $0.element.verdict == .explore) && $0.element.upper > 0 }
            .sorted { $0.element.upper != $1.element.upper ? $0.element.upper > $1.element.upper : $0.offset < $1.offset }
            .prefix(maxCategories).map(\.element)
        let total = chosen.reduce(0) { $0 + $1.upper }
        guard budget > 0, total > 0 else { return [] }
        let exact = chosen.map { Double(budget) * $0.upper / total }
        var whole = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted { a, b in
            let ra = exact[a] - Double(whole[a]), rb = exact[b] - Double(whole[b])
            return ra != rb ? ra > rb : a < b
        }
        for i in order.prefix(budget - whole.reduce(0, +)) { whole[i] += 1 }
        return chosen.indices.filter { whole[$0] > 0 }.map {
            ExpansionReport.Allocation(source: chosen[$0].name.source, category: chosen[$0].name.category, texts: whole[$0], verdict: chosen[$0].verdict)
        }.sorted { $0.texts != $1.texts ? $0.texts > $1.texts : ($0.source, $0.category) < ($1.source, $1.category) }
    }

    /// The rule in words, with its parameters, for the report.
    public var description: String {
        let formatted = { (x: Double) in String(format: "%g", x) }
        return """
            Upper confidence bound on hits per row (Gamma–Poisson): a category's density is estimated as \
            (average × \(formatted(priorRows)) + hits) / (\(formatted(priorRows)) + rows), and its bound adds \(formatted(z)) standard \
            deviations (one-sided 95%). Expand: mean above the average; explore: under \(minRows) rows with a bound at or above \
            the average (wide bounds keep small categories in the next round until their own hits decide); drop: at least \
            \(minRows) rows and a bound below \(formatted(dropBelow * 100))% of the average. The next round's texts go to the \
            expand and explore categories (at most \(maxCategories)) in proportion to their bounds.
            """
    }
}
