/// What a run has done so far. Saved with every checkpoint in the same transaction, so after a crash the
/// counters are exactly those of the last checkpoint, and a resumed run ends with the counters an
/// uninterrupted run would have had.
public struct RunCounters: Codable, Sendable, Equatable {
    /// Input items consumed (documents, pages, lines), skipped ones included.
    public var itemsRead: Int64 = 0
    /// Records the source produced (items not skipped by the source).
    public var records: Int64 = 0
    /// Items or texts skipped, by reason (`SkipReason` raw values).
    public var skipped: [String: Int64] = [:]
    /// Texts (after templates and normalization) considered for embedding.
    public var texts: Int64 = 0
    /// Texts already seen earlier in this run.
    public var duplicatesInRun: Int64 = 0
    /// Texts whose row was already stored for this model, version and tenant before this run reached them.
    public var alreadyStored: Int64 = 0
    /// Texts embedded for this run (each once, however often the run was resumed).
    public var embedded: Int64 = 0
    /// Rows this run inserted.
    public var stored: Int64 = 0
    /// Texts sent to the provider, counting again those re-sent after a crash (what was paid for).
    public var textsSent: Int64 = 0
    /// Provider requests made.
    public var batchesSent: Int64 = 0
    /// Tokens sent: what the provider reported reading where it does (the local model's exact counts), else estimated.
    public var tokensSent: Int64 = 0
    /// The part of `tokensSent` that is an estimate (from UTF-8 bytes), not a provider's count.
    public var tokensEstimated: Int64 = 0
    /// Estimated tokens not sent because the text was a duplicate in this run or already stored: what dedup saved.
    public var tokensAvoided: Int64 = 0
    /// Compressed input bytes consumed (progress).
    public var inputBytesRead: Int64 = 0
    /// Provider requests sent again after a failure or a 429.
    public var retries: Int64 = 0
    /// Texts left to the other workers of a partitioned job (`--partition`): their key is in another part.
    public var otherPartition: Int64 = 0
    /// New texts charged to each category of the job's `[select]` quotas (``RecordSelection``).
    public var selected: [String: Int64] = [:]

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case itemsRead, records, skipped, texts, duplicatesInRun, alreadyStored, embedded, stored, textsSent, batchesSent,
             tokensSent, tokensEstimated, tokensAvoided, inputBytesRead, retries, otherPartition, selected
    }

    /// Counters saved by an older seeder lack the newer fields: those start at zero.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value(_ key: CodingKeys) throws -> Int64 { try c.decodeIfPresent(Int64.self, forKey: key) ?? 0 }
        itemsRead = try value(.itemsRead)
        records = try value(.records)
        skipped = try c.decodeIfPresent([String: Int64].self, forKey: .skipped) ?? [:]
        texts = try value(.texts)
        duplicatesInRun = try value(.duplicatesInRun)
        alreadyStored = try value(.alreadyStored)
        embedded = try value(.embedded)
        stored = try value(.stored)
        textsSent = try value(.textsSent)
        batchesSent = try value(.batchesSent)
        tokensSent = try value(.tokensSent)
        // Before this field existed every count was an estimate.
        tokensEstimated = try c.decodeIfPresent(Int64.self, forKey: .tokensEstimated) ?? tokensSent
        tokensAvoided = try value(.tokensAvoided)
        inputBytesRead = try value(.inputBytesRead)
        retries = try value(.retries)
        otherPartition = try value(.otherPartition)
        selected = try c.decodeIfPresent([String: Int64].self, forKey: .selected) ?? [:]
    }

    public var skippedTotal: Int64 { skipped.values.reduce(0, +) }

    /// Dollars for `tokens` at `pricePerMillionTokens`; nil without a price.
    public static func cost(tokens: Int64, pricePerMillionTokens: Double?) -> Double? {
        pricePerMillionTokens.map { Double(tokens) * $0 / 1_000_000 }
    }

    /// Adds a chunk's counts (positions are set, not added: see the pipeline's commit stage).
    mutating func add(_ d: RunCounters) {
        records += d.records
        for (reason, n) in d.skipped { skipped[reason, default: 0] += n }
        texts += d.texts
        duplicatesInRun += d.duplicatesInRun
        alreadyStored += d.alreadyStored
        embedded += d.embedded
        stored += d.stored
        textsSent += d.textsSent
        batchesSent += d.batchesSent
        tokensSent += d.tokensSent
        tokensEstimated += d.tokensEstimated
        tokensAvoided += d.tokensAvoided
        retries += d.retries
        otherPartition += d.otherPartition
        for (category, n) in d.selected { selected[category, default: 0] += n }
    }

    mutating func addSkips(_ skips: [SkipReason: Int]) {
        for (reason, n) in skips { skipped[reason.rawValue, default: 0] += Int64(n) }
    }
}
