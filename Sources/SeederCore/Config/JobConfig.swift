import Foundation

/// A job: what to read, which texts to take, which model and provider, which shards, how to batch.
///
/// Loaded from `jobs/<name>.toml` (docs/jobs.md), then adjusted by command-line flags. Relative paths in a
/// job file are relative to that file's folder, so a job behaves the same from any working directory (cron).
public struct JobConfig: Sendable, Equatable {
    /// The job's name: its file name without `.toml`. Runs are keyed by it.
    public var name: String
    /// The job file, or nil for a job built from flags only.
    public var file: String?
    public var description: String

    public var source: SourceSettings
    public var model: ModelSettings
    public var provider: ProviderSettings
    public var store: StoreSettings
    public var batch: BatchSettings
    /// Which records to seed, by category (`[select]`); nil for every record.
    public var selection: RecordSelection? = nil

    public struct SourceSettings: Sendable, Equatable {
        /// The source kind (`wikipedia`, `wiktionary`… see ``SourceCatalog/kinds``).
        public var kind: String
        /// The input file (absolute).
        public var input: String
        /// Which texts to take from each record: templates over `{title}`, `{body}`, `{url}`, `{id}`, `{category}`.
        public var texts: [String]
        /// Texts shorter than this (in characters, after normalization) are skipped as `too_short`.
        public var minChars: Int
        /// Texts longer than this are skipped as `too_long`, and not buffered whole while reading.
        public var maxChars: Int
        /// What the kind's own keys say (``SourceCatalog``).
        public var options: SourceOptions = .wikipediaAbstracts
    }

    public struct ModelSettings: Sendable, Equatable {
        /// A catalog alias or canonical id.
        public var name: String
        /// Matryoshka truncation; nil for the model's native size.
        public var dimensions: Int?
        /// The `local` provider's model directory (absolute); nil to look in `$SEEDER_MODELS` and the Hugging Face cache.
        public var path: String? = nil
    }

    public struct ProviderSettings: Sendable, Equatable {
        /// `hash` or `local` (more providers come with later versions); nil for the model's default provider.
        public var kind: String?
        /// The `local` provider's compute threads; nil for one per core.
        public var threads: Int? = nil
        /// HTTP providers: the server (default: the kind's usual local address, or api.openai.com).
        public var baseURL: String? = nil
        /// HTTP providers: the model's name on the server (default: the catalog's name for this kind).
        public var serverModel: String? = nil
        /// HTTP providers: the environment variable, or the file (absolute), holding the API key. Never the key itself.
        public var apiKeyEnv: String? = nil
        public var apiKeyFile: String? = nil
        /// HTTP providers: requests in flight at once.
        public var concurrency: Int? = nil
        public var timeoutSeconds: Double? = nil
        public var connectTimeoutSeconds: Double? = nil
        /// HTTP providers: requests and tokens per minute to stay under, before the server says so.
        public var rpm: Int? = nil
        public var tpm: Int? = nil
        /// HTTP providers: how long the server may stay unavailable before the run stops at its checkpoint.
        public var giveUpAfterSeconds: Double? = nil
        /// Dollars per million tokens, for cost reports.
        public var pricePerMillionTokens: Double? = nil
        /// OpenAI-compatible servers: `float` or `base64`.
        public var encodingFormat: String? = nil
        /// Ollama and TEI: truncate over-long inputs instead of refusing them.
        public var truncate: Bool? = nil
        /// Ollama: `options.num_ctx` and `keep_alive`.
        public var numCtx: Int? = nil
        public var keepAlive: String? = nil
    }

    public struct StoreSettings: Sendable, Equatable {
        public var kind: String
        public var shards: [ShardLocation]
        /// `embeddings.tenant_id` for everything this job writes.
        public var tenant: String
        /// `full`: every commit is fsynced (safe against power loss); `normal`: safe against process crashes only.
        public var durability: Durability
        /// SQLite page cache per shard, in MiB. Keys are random, so once a shard's indexes outgrow it every insert
        /// reads pages back: raise it on big dumps if memory allows (each shard uses about this much).
        public var cacheMB: Int = 8
        /// PostgreSQL: the database that keeps the job's runs, checkpoints and run lock (`store.control`); the first
        /// shard's when nil. SQLite jobs keep them in the first shard.
        public var control: ShardLocation? = nil
        /// PostgreSQL: how long a lost server may stay away (seeder reconnecting with backoff) before the run stops
        /// at its checkpoint.
        public var giveUpAfterSeconds: Double = 300

        /// Where the runs live: `control`, or the first shard.
        public var controlLocation: ShardLocation { control ?? shards[0] }
    }

    public struct BatchSettings: Sendable, Equatable {
        /// Texts per provider request at most.
        public var maxItems: Int
        /// Estimated tokens per provider request at most.
        public var maxTokens: Int
        /// Source records per checkpoint: the most a crash can make the run redo.
        public var chunkRecords: Int
        /// For estimating tokens from UTF-8 bytes when no tokenizer is at hand (conservative by default).
        public var bytesPerToken: Double
    }

    public enum Durability: String, Sendable, Equatable { case full, normal }
}

/// A shard's stable name (what the ring hashes) and where it lives.
public struct ShardLocation: Sendable, Equatable {
    /// The shard's name on the ring (by default its position: "0", "1", …).
    public var name: String
    /// A SQLite file's path, or a PostgreSQL DSN (`postgres://user@host:port/db?schema=s`); may hold a password,
    /// so messages show ``displayPath``.
    public var path: String
    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    /// Whether the shard is a PostgreSQL database (or schema): its path is a `postgres://` or `postgresql://` DSN.
    public var isPostgres: Bool { Self.isPostgresDSN(path) }

    public static func isPostgresDSN(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// The path as messages, logs and `status` show it: a DSN's password (in its user info or a `password=`
    /// parameter) is replaced by `***`.
    public var displayPath: String { Self.redacting(path) }

    /// `text` with a DSN's password replaced by `***`; anything else unchanged.
    public static func redacting(_ text: String) -> String {
        guard isPostgresDSN(text), let schemeEnd = text.range(of: "://") else { return text }
        var rest = String(text[schemeEnd.upperBound...])
        // user:password@host — the user info ends at the last '@' before the path (a password may hold '@').
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
            rest.replaceSubrange(rest.index(after: colon)..<at, with: "***")
        }
        if let query = rest.firstIndex(of: "?") {
            let parameters = rest[rest.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false).map { item -> String in
                item.lowercased().hasPrefix("password=") ? "password=***" : String(item)
            }
            rest = String(rest[...query]) + parameters.joined(separator: "&")
        }
        return String(text[..<schemeEnd.upperBound]) + rest
    }
}
