/// A failure to export run metrics (textfile or Pushgateway), saying what failed, where, why, and what to do.
public struct MetricsExportError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was being done, e.g. "writing the metrics textfile".
    public var operation: String
    /// Where: the file path or the URL (never with credentials in it).
    public var target: String
    /// Why it failed, e.g. the errno text or the HTTP status and body.
    public var reason: String
    /// What the operator can do about it.
    public var hint: String

    /// Creates an error; `target` must not contain secrets, as it ends up in logs.
    public init(operation: String, target: String, reason: String, hint: String) {
        self.operation = operation
        self.target = target
        self.reason = reason
        self.hint = hint
    }

    public var description: String {
        "\(operation) \(target) failed: \(reason). \(hint)"
    }
}
