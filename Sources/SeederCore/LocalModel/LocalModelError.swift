/// A model directory that can't be used: missing, unreadable, of an unsupported architecture, or with weights that
/// don't match its config. The run stops before it starts; the message names the file and what to do.
public struct LocalModelError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// No model directory was found where seeder looked.
        case notFound = "not_found"
        /// A file the model needs is missing or unreadable.
        case missingFile = "missing_file"
        /// A file is there but malformed (bad JSON, a truncated safetensors header…).
        case malformed
        /// The model is of an architecture seeder can't run.
        case unsupported
        /// A tensor is missing or of the wrong shape or type.
        case badWeights = "bad_weights"
    }

    public var kind: Kind
    /// The file or directory concerned.
    public var path: String
    /// What went wrong.
    public var message: String
    /// What to do about it.
    public var hint: String?

    public init(_ kind: Kind, path: String, message: String, hint: String? = nil) {
        self.kind = kind
        self.path = path
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var s = "\(path): \(message)"
        if let hint { s += " — \(hint)" }
        return s
    }
}
