import Foundation

/// Finds, reads and validates job files.
public enum JobLoader {
    static let topKeys = ["description", "extends", "source", "model", "provider", "store", "batch", "select"]
    static var sourceKeys: [String] { SourceCatalog.allKeys }
    static let modelKeys = ["name", "dimensions", "path"]
    static let providerKeys = ["kind", "threads", "base_url", "server_model", "api_key_env", "api_key_file", "concurrency",
                               "timeout_seconds", "connect_timeout_seconds", "rpm", "tpm", "give_up_after_seconds",
                               "price_per_million_tokens", "encoding_format", "truncate", "num_ctx", "keep_alive"]
    static let storeKeys = ["kind", "shards", "tenant", "durability", "cache_mb", "control", "give_up_after_seconds"]
    static let shardKeys = ["name", "path"]
    static let batchKeys = ["max_items", "max_tokens", "chunk_records", "bytes_per_token"]
    static var sourceKinds: [String] { SourceCatalog.kinds }

    /// Where each nested key belongs, to point a misplaced key (`shards` at the top) to its table.
    static let homeOfKey: [String: String] = {
        var homes: [String: String] = [:]
        for (table, keys) in [("source", sourceKeys), ("model", modelKeys), ("provider", providerKeys), ("store", storeKeys), ("batch", batchKeys)] {
            for key in keys where homes[key] == nil { homes[key] = "\(table).\(key)" }
        }
        return homes
    }()
    static let storeKinds = ["sqlite", "postgres"]

    /// The folder `seeder` looks for jobs in: `$SEEDER_JOBS`, else `./jobs`.
    public static func jobsDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["SEEDER_JOBS"] ?? FileManager.default.currentDirectoryPath + "/jobs"
    }

    /// Resolves `wikipedia` to `<jobs>/wikipedia.toml`; a path to an existing file is taken as it is.
    public static func locate(_ nameOrPath: String, jobsDirectory: String) throws -> String {
        let fm = FileManager.default
        if nameOrPath.hasSuffix(".toml") || nameOrPath.contains("/") {
            guard fm.fileExists(atPath: nameOrPath) else {
                throw ConfigurationError(file: nameOrPath, message: "no such job file", hint: "check the path, or run `seeder jobs` to list the jobs")
            }
            return nameOrPath
        }
        let candidate = "\(jobsDirectory)/\(nameOrPath).toml"
        if fm.fileExists(atPath: candidate) { return candidate }
        let known = listNames(in: jobsDirectory)
        var message = "no job named '\(nameOrPath)' in \(jobsDirectory)"
        if let near = Spelling.closest(to: nameOrPath, among: known) { message += " — did you mean '\(near)'?" }
        throw ConfigurationError(file: candidate, message: message,
                                 hint: known.isEmpty ? "run seeder from the project folder or set SEEDER_JOBS" : "known jobs: \(known.joined(separator: ", "))")
    }

    /// Job names (file stems) in a folder, sorted.
    public static func listNames(in directory: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Reads and validates a job file (following `extends`).
    public static func load(path: String) throws -> JobConfig {
        let values = try loadMerged(path: path, depth: 0)
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try build(name: name, file: path, values: values)
    }

    /// Reads one file, resolves its relative paths against its folder, and merges it over what it extends.
    private static func loadMerged(path: String, depth: Int) throws -> [String: ConfigValue] {
        guard depth < 8 else {
            throw ConfigurationError(file: path, position: "extends", message: "too many levels of `extends` (a cycle?)", hint: "check the chain of job files")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: path, message: "cannot read the job file: \(error.localizedDescription)", hint: "check that it exists and is UTF-8 text")
        }
        var values = try ConfigValue.parse(toml: text, file: path)
        _ = try ConfigTable(file: path, path: "", values: values, allowed: topKeys)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        resolvePaths(&values, relativeTo: folder)
        guard case .string(let parent)? = values["extends"] else {
            if let other = values["extends"] {
                throw ConfigurationError(file: path, position: "extends", message: "extends must be a string, not \(other.typeName)", hint: "name the job file this one builds on")
            }
            return values
        }
        values["extends"] = nil
        let base = try loadMerged(path: parent, depth: depth + 1)
        return ConfigValue.merge(base, values)
    }

    /// Makes `extends`, `source.input`, `model.path` and shard paths absolute, relative to the job file's folder.
    private static func resolvePaths(_ values: inout [String: ConfigValue], relativeTo folder: URL) {
        func absolute(_ p: String) -> String {
            if ShardLocation.isPostgresDSN(p) { return p }
            if p == "~" || p.hasPrefix("~/") { return NSHomeDirectory() + p.dropFirst() }
            return p.hasPrefix("/") ? p : folder.appendingPathComponent(p).standardizedFileURL.path
        }
        if case .string(let p)? = values["extends"] { values["extends"] = .string(absolute(p)) }
        if case .table(var source)? = values["source"], case .string(let p)? = source["input"] {
            source["input"] = .string(absolute(p))
            values["source"] = .table(source)
        }
        if case .table(var model)? = values["model"], case .string(let p)? = model["path"] {
            model["path"] = .string(absolute(p))
            values["model"] = .table(model)
        }
        if case .table(var provider)? = values["provider"], case .string(let p)? = provider["api_key_file"] {
            provider["api_key_file"] = .string(absolute(p))
            values["provider"] = .table(provider)
        }
        if case .table(var store)? = values["store"], case .array(let shards)? = store["shards"] {
            store["shards"] = .array(shards.map { shard in
                switch shard {
                case .string(let p): return .string(absolute(p))
                case .table(var t):
                    if case .string(let p)? = t["path"] { t["path"] = .string(absolute(p)) }
                    return .table(t)
                default: return shard
                }
            })
            values["store"] = .table(store)
        }
    }

    static func build(name: String, file: String, values: [String: ConfigValue]) throws -> JobConfig {
        let top = try ConfigTable(file: file, path: "", values: values, allowed: topKeys)
        var source = try top.table("source", allowed: sourceKeys)
        let model = try top.table("model", allowed: modelKeys)
        let provider = try top.table("provider", allowed: providerKeys)
        let store = try top.table("store", allowed: storeKeys)
        let batch = try top.table("batch", allowed: batchKeys)

        guard let kind = try source.string("kind") else {
            throw ConfigurationError(file: file, position: "source.kind", message: "source.kind is missing", hint: "one of: \(sourceKinds.joined(separator: ", "))")
        }
        guard sourceKinds.contains(kind) else {
            var message = "unknown source kind '\(kind)'"
            if let near = Spelling.closest(to: kind, among: sourceKinds) { message += " — did you mean '\(near)'?" }
            throw ConfigurationError(file: file, position: "source.kind", message: message, hint: "known kinds: \(sourceKinds.joined(separator: ", "))")
        }
        // Now that the kind is known, only its own keys are valid.
        source = try ConfigTable(file: file, path: "source", values: source.values,
                                 allowed: SourceCatalog.commonKeys + SourceCatalog.keys(for: kind))
        guard let input = try source.string("input") else {
            throw ConfigurationError(file: file, position: "source.input", message: "source.input is missing", hint: "name the dump file to read, or pass --input")
        }
        let texts = try source.strings("texts") ?? ["{body}"]
        let minChars = try source.int("min_chars", range: 0...1_000_000) ?? SourceCatalog.defaultMinChars(kind)
        let maxChars = try source.int("max_chars", range: 1...100_000_000) ?? 100_000
        for template in texts { try TextTemplate.validate(template, file: file) }

        guard let modelName = try model.string("name") else {
            throw ConfigurationError(file: file, position: "model.name", message: "model.name is missing", hint: "an alias from `seeder models`, e.g. minilm-l6")
        }

        let shards = try shardLocations(store, file: file)
        try checkShardKinds(shards.map(\.path), file: file, position: "store.shards")
        // The shards say which kind they are; a `kind` that says otherwise is a mistake worth stopping on.
        let inferredKind = shards.allSatisfy(\.isPostgres) ? "postgres" : "sqlite"
        let storeKind = try store.string("kind") ?? inferredKind
        guard storeKinds.contains(storeKind) else {
            throw ConfigurationError(file: file, position: "store.kind", message: "unknown store kind '\(storeKind)'", hint: "known kinds: \(storeKinds.joined(separator: ", "))")
        }
        guard storeKind == inferredKind else {
            throw ConfigurationError(file: file, position: "store.kind", message: "store.kind is '\(storeKind)' but the shards are \(inferredKind == "postgres" ? "PostgreSQL DSNs" : "SQLite files")",
                                     hint: "PostgreSQL shards are postgres:// DSNs, SQLite shards are file paths")
        }
        var control: ShardLocation?
        if let dsn = try store.string("control") {
            guard ShardLocation.isPostgresDSN(dsn), storeKind == "postgres" else {
                throw ConfigurationError(file: file, position: "store.control", message: "store.control is a postgres:// DSN, for PostgreSQL shards only",
                                         hint: "SQLite jobs keep their runs in the first shard")
            }
            control = ShardLocation(name: "control", path: dsn)
        }
        let giveUpAfter = try store.double("give_up_after_seconds") ?? 300
        guard giveUpAfter > 0, giveUpAfter.isFinite else {
            throw ConfigurationError(file: file, position: "store.give_up_after_seconds", message: "give_up_after_seconds must be above zero", hint: nil)
        }
        let durabilityText = try store.string("durability") ?? "full"
        guard let durability = JobConfig.Durability(rawValue: durabilityText) else {
            throw ConfigurationError(file: file, position: "store.durability", message: "durability must be 'full' or 'normal', not '\(durabilityText)'", hint: "full is safe against power loss")
        }

        var job = JobConfig(
            name: name, file: file,
            description: try top.string("description") ?? "",
            source: .init(kind: kind, input: input, texts: texts, minChars: minChars, maxChars: maxChars,
                          options: try SourceCatalog.options(kind: kind, table: source, minChars: minChars, maxChars: maxChars)),
            model: .init(name: modelName, dimensions: try model.int("dimensions", range: 1...65_536), path: try model.string("path")),
            provider: try providerSettings(provider, file: file),
            store: .init(kind: storeKind, shards: shards, tenant: try store.string("tenant") ?? "public", durability: durability,
                         cacheMB: try store.int("cache_mb", range: 1...65_536) ?? 8, control: control, giveUpAfterSeconds: giveUpAfter),
            batch: .init(maxItems: try batch.int("max_items", range: 1...100_000) ?? 256,
                         maxTokens: try batch.int("max_tokens", range: 1...100_000_000) ?? 100_000,
                         chunkRecords: try batch.int("chunk_records", range: 1...1_000_000) ?? 8_192,
                         bytesPerToken: try batch.double("bytes_per_token") ?? 3.0))
        job.selection = try RecordSelection.parse(values["select"], file: file)
        return job
    }

    private static func providerSettings(_ p: ConfigTable, file: String) throws -> JobConfig.ProviderSettings {
        var s = JobConfig.ProviderSettings(kind: try p.string("kind"), threads: try p.int("threads", range: 1...1_024))
        s.baseURL = try p.string("base_url")
        if let url = s.baseURL { try checkBaseURL(url, file: file, position: "provider.base_url") }
        s.serverModel = try p.string("server_model")
        s.apiKeyEnv = try p.string("api_key_env")
        s.apiKeyFile = try p.string("api_key_file")
        if s.apiKeyEnv != nil && s.apiKeyFile != nil {
            throw ConfigurationError(file: file, position: "provider.api_key_file", message: "api_key_env and api_key_file name two places for one key",
                                     hint: "keep one of them")
        }
        s.concurrency = try p.int("concurrency", range: 1...1_024)
        s.timeoutSeconds = try p.positive("timeout_seconds")
        s.connectTimeoutSeconds = try p.positive("connect_timeout_seconds")
        s.rpm = try p.int("rpm", range: 1...100_000_000)
        s.tpm = try p.int("tpm", range: 1...10_000_000_000)
        s.giveUpAfterSeconds = try p.positive("give_up_after_seconds")
        s.pricePerMillionTokens = try p.double("price_per_million_tokens")
        if let price = s.pricePerMillionTokens { try checkPrice(price, file: file, position: "provider.price_per_million_tokens") }
        s.encodingFormat = try p.string("encoding_format")
        if let format = s.encodingFormat { try checkEncodingFormat(format, file: file, position: "provider.encoding_format") }
        s.truncate = try p.bool("truncate")
        s.numCtx = try p.int("num_ctx", range: 1...10_000_000)
        s.keepAlive = try p.string("keep_alive")
        return s
    }

    static func checkBaseURL(_ url: String, file: String, position: String) throws {
        if URLComponents(string: url)?.host == nil || !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ConfigurationError(file: file, position: position, message: "the base URL must be an http:// or https:// URL, not '\(url)'", hint: "e.g. http://localhost:11434")
        }
    }

    static func checkPrice(_ price: Double, file: String, position: String) throws {
        if price < 0 || !price.isFinite {
            throw ConfigurationError(file: file, position: position, message: "a price can't be negative", hint: "dollars per million tokens, e.g. 0.02")
        }
    }

    static func checkEncodingFormat(_ format: String, file: String, position: String) throws {
        if !["float", "base64"].contains(format) {
            throw ConfigurationError(file: file, position: position, message: "the encoding format must be float or base64, not '\(format)'", hint: nil)
        }
    }

    /// Shards are all SQLite files or all PostgreSQL DSNs: one job writes one kind of store.
    public static func checkShardKinds(_ paths: [String], file: String, position: String) throws {
        let postgres = paths.filter(ShardLocation.isPostgresDSN).count
        guard postgres == 0 || postgres == paths.count else {
            throw ConfigurationError(file: file, position: position, message: "\(postgres) of the \(paths.count) shards are PostgreSQL DSNs and the rest SQLite files",
                                     hint: "a job writes one kind of store; move rows between kinds with `seeder shards rebalance --to`")
        }
    }

    private static func shardLocations(_ store: ConfigTable, file: String) throws -> [ShardLocation] {
        guard case .array(let items)? = store.values["shards"], !items.isEmpty else {
            throw ConfigurationError(file: file, position: "store.shards", message: "store.shards is missing or empty", hint: "list one SQLite file or postgres:// DSN per shard, or pass --shards")
        }
        return try items.enumerated().map { index, item in
            switch item {
            case .string(let path): return ShardLocation(name: String(index), path: path)
            case .table(let t):
                let table = try ConfigTable(file: file, path: "store.shards[\(index)]", values: t, allowed: shardKeys)
                guard let path = try table.string("path") else {
                    throw ConfigurationError(file: file, position: "store.shards[\(index)].path", message: "a shard needs a path", hint: nil)
                }
                return ShardLocation(name: try table.string("name") ?? String(index), path: path)
            default:
                throw ConfigurationError(file: file, position: "store.shards[\(index)]", message: "a shard is a path or a table {name, path}, not \(item.typeName)", hint: nil)
            }
        }
    }
}
