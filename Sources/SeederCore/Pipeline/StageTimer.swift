import Foundation

/// Time spent per pipeline stage, summed; safe to update from the stages running concurrently.
final class StageTimer: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: [String: Double] = [:]

    func add(_ stage: String, _ value: Double) {
        lock.lock(); defer { lock.unlock() }
        seconds[stage, default: 0] += value
    }

    func time<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        let start = ContinuousClock.now
        defer { add(stage, (ContinuousClock.now - start).seconds) }
        return try body()
    }

    func time<T>(_ stage: String, _ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer { add(stage, (ContinuousClock.now - start).seconds) }
        return try await body()
    }

    var snapshot: [String: Double] {
        lock.lock(); defer { lock.unlock() }
        return seconds
    }
}

/// Busy time of the source thread: running, minus the time it waits for the pipeline to take a chunk.
final class SourceClock: @unchecked Sendable {
    private let lock = NSLock()
    private var since: ContinuousClock.Instant?
    private var accumulated: Double = 0

    func resume() {
        lock.lock(); defer { lock.unlock() }
        since = ContinuousClock.now
    }

    func pause() {
        lock.lock(); defer { lock.unlock() }
        if let since { accumulated += (ContinuousClock.now - since).seconds }
        since = nil
    }

    var total: Double {
        lock.lock(); defer { lock.unlock() }
        return accumulated
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
