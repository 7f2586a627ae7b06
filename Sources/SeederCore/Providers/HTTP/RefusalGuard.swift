import Foundation

/// Tells inputs a server refuses from a configuration it refuses, across concurrent requests.
///
/// A plain 400 for one input alone (OpenAI's for an empty or invalid input) fails only that record. But a wrong
/// model name or parameter makes every request a 400, and splitting would then record every record as refused
/// instead of stopping the run. So refusals count as the inputs' fault only once a request has succeeded, and
/// only until ``limit`` of them come in a row with no success in between.
public final class RefusalGuard: @unchecked Sendable {
    /// Inputs refused alone in a row, with no success in between, before the provider gives up.
    public static let standardLimit = 16

    public let limit: Int
    private let lock = NSLock()
    private var everSucceeded = false
    private var inARow = 0

    public init(limit: Int = RefusalGuard.standardLimit) { self.limit = max(limit, 1) }

    /// A request succeeded: the server accepts this configuration.
    public func succeeded() {
        lock.withLock {
            everSucceeded = true
            inARow = 0
        }
    }

    /// Records one input refused alone; returns the refusals in a row since the last success.
    public func refused() -> Int { lock.withLock { inARow += 1; return inARow } }

    /// Whether any request of this provider has succeeded.
    public var hasSucceeded: Bool { lock.withLock { everSucceeded } }
}
