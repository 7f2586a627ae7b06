import Foundation

/// The time source for pacing, backoff and give-up decisions; tests pass a fake one that advances on sleep.
public struct PacingClock: Sendable {
    /// Seconds on a monotonic clock.
    public var now: @Sendable () -> Double
    /// The wall-clock date, for `Retry-After` dates.
    public var date: @Sendable () -> Date
    /// Sleeps this many seconds (throws when the task is cancelled).
    public var sleep: @Sendable (Double) async throws -> Void

    public init(now: @escaping @Sendable () -> Double, date: @escaping @Sendable () -> Date,
                sleep: @escaping @Sendable (Double) async throws -> Void) {
        self.now = now
        self.date = date
        self.sleep = sleep
    }

    /// The real clocks.
    public static let system: PacingClock = {
        let start = ContinuousClock.now
        return PacingClock(now: { (ContinuousClock.now - start).inSeconds }, date: { Date() },
                           sleep: { seconds in
                               if seconds > 0 { try await Task.sleep(for: .clampedMilliseconds(seconds * 1000)) }
                           })
    }()
}
