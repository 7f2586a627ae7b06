/// A problem with a job file, a flag or a name in one: the run does not start.
///
/// Names the file (or `command line`), the key or position, what is wrong and what to do.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The job file, or "command line".
    public var file: String
    /// The key path (`source.input`) or `line L, column C`, when known.
    public var position: String?
    public var message: String
    public var hint: String?

    public init(file: String, position: String? = nil, message: String, hint: String? = nil) {
        self.file = file
        self.position = position
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var s = file
        if let position { s += " (\(position))" }
        s += ": \(message)"
        if let hint { s += " — \(hint)" }
        return s
    }
}
