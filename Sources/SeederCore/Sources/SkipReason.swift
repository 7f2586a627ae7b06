/// Why a source item or a text was not embedded. The raw values are what `seeder status` and the
/// runs table show, so they are stable.
public enum SkipReason: String, Sendable, Codable, CaseIterable, Comparable {
    /// The item had no text at all.
    case empty
    /// The text was markup debris (an infobox fragment such as `| duration = Long-term`), not prose.
    case markup = "markup_debris"
    /// The text was shorter than the job's `min_chars` after normalization.
    case tooShort = "too_short"
    /// The text was longer than the job's `max_chars` (or the source's hard cap) and was not read whole.
    case tooLong = "too_long"
    /// The input bytes of the text were not valid UTF-8 (they were replaced by U+FFFD while reading).
    case invalidUTF8 = "invalid_utf8"
    /// The item was excluded by a source option, not because anything was wrong with it: an entry in a language
    /// the job did not ask for, a dictionary sense that only points to another word ("plural of cat").
    case filtered
    /// The item was structurally broken (missing elements, bad attributes…).
    case malformed
    /// A Wikipedia page outside the article namespace (talk, user, template, category… pages).
    case notArticle = "not_article"
    /// A Wikipedia redirect page.
    case redirect
    /// A Wikipedia disambiguation page (a list of links, not an article).
    case disambiguation
    /// A page whose content model is not wikitext (JSON, Lua modules, CSS…).
    case notWikitext = "not_wikitext"
    /// The item sat in a compressed stream that is damaged; the other streams are read (multistream dumps).
    case corruptStream = "corrupt_stream"
    /// The embedding provider refused the text even alone (too long for the model…); the detail is its message.
    case providerRefused = "provider_refused"

    /// Whether a skip of this kind is also written to the failures table with its detail.
    /// Policy skips (empty, debris, short) are only counted: a real dump has millions of them.
    public var isFailure: Bool {
        switch self {
        case .empty, .markup, .tooShort, .filtered, .notArticle, .redirect, .disambiguation, .notWikitext: return false
        case .tooLong, .invalidUTF8, .malformed, .corruptStream, .providerRefused: return true
        }
    }

    public static func < (a: SkipReason, b: SkipReason) -> Bool { a.rawValue < b.rawValue }
}

/// A skipped item worth recording with its reason (see ``SkipReason/isFailure``).
public struct RecordFailure: Sendable, Equatable, Codable {
    public var ordinal: Int64
    public var recordID: String
    public var reason: SkipReason
    public var detail: String

    public init(ordinal: Int64, recordID: String, reason: SkipReason, detail: String) {
        self.ordinal = ordinal
        self.recordID = recordID
        self.reason = reason
        self.detail = detail
    }
}
