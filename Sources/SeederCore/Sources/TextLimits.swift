/// The length policy shared by the line- and record-based sources: a text is trimmed, then it is empty,
/// too short (fewer than `minChars` Unicode scalars), too long (more than `maxChars`), or kept.
struct TextLimits: Sendable, Equatable {
    var minChars: Int
    var maxChars: Int

    /// A text's fate.
    enum Outcome: Equatable {
        /// The trimmed text, to embed.
        case text(String)
        /// A skip, with the detail a failure records ("" for policy skips).
        case skip(SkipReason, detail: String)
    }

    /// Classifies `text` (named `what` in details: "the gloss", "the line").
    func check(_ text: String, what: String) -> Outcome {
        check(utf8: Array(text.utf8), what: what)
    }

    /// Classifies valid UTF-8 `bytes`.
    func check(utf8 bytes: [UInt8], what: String) -> Outcome {
        let range = UTF8Text.trimmedRange(bytes, droppingPrefix: [])
        if range.isEmpty { return .skip(.empty, detail: "") }
        let characters = UTF8Text.scalarCount(bytes, range)
        if characters < minChars { return .skip(.tooShort, detail: "") }
        if characters > maxChars {
            return .skip(.tooLong, detail: "\(what) has \(characters) characters, more than max_chars \(maxChars)")
        }
        return .text(String(decoding: bytes[range], as: UTF8.self))
    }
}
