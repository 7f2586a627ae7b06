/// A fatal problem with an input file: the run stops at its last checkpoint, nothing committed is lost.
///
/// Carries the file, where in it, what went wrong and what to do, so that the message alone is enough.
public struct SourceError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The file does not exist or cannot be opened.
        case missing
        /// The file is empty.
        case empty
        /// The compressed stream is cut short or corrupt.
        case corruptCompression = "corrupt_compression"
        /// The file is not the format the source reads (not XML, not the expected root element…).
        case wrongFormat = "wrong_format"
        /// The document is cut short or malformed beyond what can be skipped.
        case malformedDocument = "malformed_document"
        /// Reading failed at the operating-system level.
        case io
    }

    public var kind: Kind
    /// The input file's path.
    public var file: String
    /// Where: e.g. "byte 1048576 of the compressed file" or "line 812, column 14".
    public var position: String?
    /// What went wrong.
    public var message: String
    /// What to do about it.
    public var hint: String?

    public init(_ kind: Kind, file: String, position: String? = nil, message: String, hint: String? = nil) {
        self.kind = kind
        self.file = file
        self.position = position
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var s = file
        if let position { s += ", \(position)" }
        s += ": \(message)"
        if let hint { s += " — \(hint)" }
        return s
    }
}
