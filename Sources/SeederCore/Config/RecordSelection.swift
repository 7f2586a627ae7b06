/// Which records of the input a job seeds, by category (`[select]` in a job file): what `seeder report --emit-job`
/// writes so that the next round seeds the categories the cache's users hit, in the split the report recommends.
///
/// ```toml
/// [select]
/// categories = ["Physics", "Chemistry"]   # records in at least one of these (a Wikipedia article: any of its categories)
/// [select.quota]                           # at most this many new texts per category; a category without one: no limit
/// "Physics" = 120
/// "Chemistry" = 80
/// ```
///
/// Records in none of the categories are skipped as `filtered`. A quota counts the texts a run embeds and stores
/// (texts already stored don't use it up), each charged to the first of its record's categories, in the listed
/// order, with quota left; once every quota is used up the rest are skipped as `filtered`. What each category has
/// used is kept with the run's counters, so a resumed run goes on from there.
public struct RecordSelection: Sendable, Equatable {
    /// The categories, in the order quotas are charged (the report lists the hottest first).
    public var categories: [String]
    /// Texts per category at most.
    public var quotas: [String: Int]

    public init(categories: [String], quotas: [String: Int] = [:]) {
        self.categories = categories
        self.quotas = quotas
    }

    /// Whether the selection caps anything.
    public var hasQuotas: Bool { !quotas.isEmpty }

    /// The categories of a record's `category` value that are selected, in selection order. Sources that give a
    /// record several categories join them with `|` (Wikipedia).
    public func selected(_ recordCategory: String) -> [String] {
        let own = Set(recordCategory.split(separator: "|", omittingEmptySubsequences: true).map(String.init))
        return categories.filter { own.contains($0) }
    }

    /// The category a new text of a record with these categories is charged to, after charging it in `used`; nil
    /// when every one of them has used up its quota.
    public func charge(_ recordCategory: String, used: inout [String: Int64]) -> String? {
        for category in selected(recordCategory) {
            guard let quota = quotas[category] else { return category }
            if used[category, default: 0] < Int64(quota) {
                used[category, default: 0] += 1
                return category
            }
        }
        return nil
    }

    /// Whether no text can be charged any more: every category has a quota and has used it up.
    public func isExhausted(_ used: [String: Int64]) -> Bool {
        hasQuotas && categories.allSatisfy { category in quotas[category].map { used[category, default: 0] >= Int64($0) } ?? false }
    }

    /// Reads `[select]` from a job file's values.
    static func parse(_ value: ConfigValue?, file: String) throws -> RecordSelection? {
        guard let value else { return nil }
        guard case .table(let table) = value else {
            throw ConfigurationError(file: file, position: "select", message: "select must be a table, not \(value.typeName)",
                                     hint: "[select] with categories = [\"…\"] and an optional [select.quota] table")
        }
        for key in table.keys where key != "categories" && key != "quota" {
            throw ConfigurationError(file: file, position: "select.\(key)", message: "unknown key select.\(key)", hint: "select has categories and quota")
        }
        guard case .array(let items)? = table["categories"] else {
            throw ConfigurationError(file: file, position: "select.categories", message: "select.categories is missing or not an array",
                                     hint: "list the categories to seed, e.g. categories = [\"Physics\"]")
        }
        var categories: [String] = []
        for item in items {
            guard case .string(let name) = item, !name.isEmpty else {
                throw ConfigurationError(file: file, position: "select.categories", message: "every category must be a non-empty string", hint: nil)
            }
            if !categories.contains(name) { categories.append(name) }
        }
        guard !categories.isEmpty else {
            throw ConfigurationError(file: file, position: "select.categories", message: "select.categories is empty",
                                     hint: "list at least one category, or remove [select] to seed everything")
        }
        var quotas: [String: Int] = [:]
        if let quota = table["quota"] {
            guard case .table(let entries) = quota else {
                throw ConfigurationError(file: file, position: "select.quota", message: "select.quota must be a table of category = texts", hint: nil)
            }
            for (name, value) in entries {
                guard categories.contains(name) else {
                    throw ConfigurationError(file: file, position: "select.quota.\(name)", message: "a quota for '\(name)', which is not in select.categories",
                                             hint: "add it to select.categories or remove its quota")
                }
                guard case .int(let n) = value, n >= 0 else {
                    throw ConfigurationError(file: file, position: "select.quota.\(name)", message: "a quota must be a whole number of texts, 0 or more", hint: nil)
                }
                quotas[name] = n
            }
        }
        return RecordSelection(categories: categories, quotas: quotas)
    }
}
