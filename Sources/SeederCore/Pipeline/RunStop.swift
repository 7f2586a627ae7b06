import Foundation

/// Why a run stopped cleanly before the end of its input. It is left `paused`; the next `seeder run` continues.
public enum StopReason: Sendable, Equatable, CustomStringConvertible {
    /// `--max-records` items were read by this invocation.
    case maxRecords
    /// `--max-duration` passed.
    case maxDuration
    /// A signal asked the process to stop (SIGTERM from systemd or Kubernetes, SIGINT from a terminal).
    case signal(Int32)

    /// How the summary, the logs and `status --json` name it: `max_records`, `max_duration`, `SIGTERM`, `SIGINT`.
    public var description: String {
        switch self {
        case .maxRecords: "max_records"
        case .maxDuration: "max_duration"
        case .signal(SIGTERM): "SIGTERM"
        case .signal(SIGINT): "SIGINT"
        case .signal(let n): "signal \(n)"
        }
    }
}

/// Asks a running pipeline to stop cleanly, from outside it (a signal handler) or from its own deadline.
///
/// The first request stops reading: the chunks already being embedded are finished and committed, the checkpoint is
/// saved, and the run is left `paused`. Work in flight is given a grace period; when it runs out, or at a second
/// request, the stop *abandons* it: batches still embedding are cancelled (requests already on the wire are still
/// awaited, since the provider bills them), what came back is written without moving the checkpoint, and the run
/// is paused at its last checkpoint. Nothing is lost or paid for twice either way.
public final class RunStop: @unchecked Sendable {
    public enum Event: Sendable { case stop, abandon }

    private let lock = NSLock()
    // Guarded by `lock`.
    private var reason_: StopReason?
    private var abandoned_ = false
    private var observers: [@Sendable (Event) -> Void] = []

    public init() {}

    /// The first stop asked for, if any.
    public var reason: StopReason? { lock.withLock { reason_ } }
    /// Whether the work in flight is to be dropped rather than finished.
    public var isAbandoned: Bool { lock.withLock { abandoned_ } }

    /// Asks the run to stop; a second request (a second Ctrl-C) abandons the work in flight.
    public func request(_ reason: StopReason) {
        let (event, observers): (Event?, [@Sendable (Event) -> Void]) = lock.withLock {
            if reason_ == nil {
                reason_ = reason
                return (.stop, self.observers)
            }
            guard !abandoned_ else { return (nil, []) }
            abandoned_ = true
            return (.abandon, self.observers)
        }
        if let event { for observer in observers { observer(event) } }
    }

    /// Drops the work in flight now (the grace period ran out).
    public func abandon() {
        let observers: [@Sendable (Event) -> Void] = lock.withLock {
            guard reason_ != nil, !abandoned_ else { return [] }
            abandoned_ = true
            return self.observers
        }
        for observer in observers { observer(.abandon) }
    }

    /// Calls `observer` on each event from now on, and at once for those that already happened.
    func observe(_ observer: @escaping @Sendable (Event) -> Void) {
        let past: [Event] = lock.withLock {
            observers.append(observer)
            return (reason_ == nil ? [] : [.stop]) + (abandoned_ ? [.abandon] : [])
        }
        for event in past { observer(event) }
    }
}

/// The embedding tasks of a run, so that abandoning a stop can cancel them from another thread.
final class InFlightTasks: @unchecked Sendable {
    private let lock = NSLock()
    private var tasks: [Task<PreparedChunk, Error>] = []
    private var cancelled = false

    func add(_ task: Task<PreparedChunk, Error>) {
        let cancelNow = lock.withLock {
            tasks.append(task)
            return cancelled
        }
        if cancelNow { task.cancel() }
    }

    /// Forgets a task the run has taken the result of (a kept handle would keep its vectors alive).
    func remove(_ task: Task<PreparedChunk, Error>) {
        lock.withLock { tasks.removeAll { $0 == task } }
    }

    func cancelAll() {
        let all = lock.withLock {
            cancelled = true
            return tasks
        }
        for task in all { task.cancel() }
    }
}

/// Runs an action once after a delay, unless cancelled first: the grace period of a stop.
final class GraceTimer: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<Void, Never>?
    private var cancelled = false

    func start(after delay: Duration, _ action: @escaping @Sendable () -> Void) {
        lock.withLock {
            guard task == nil, !cancelled else { return }
            task = Task {
                try? await Task.sleep(for: delay)
                if !Task.isCancelled { action() }
            }
        }
    }

    func cancel() {
        let task: Task<Void, Never>? = lock.withLock {
            cancelled = true
            return self.task
        }
        task?.cancel()
    }
}
