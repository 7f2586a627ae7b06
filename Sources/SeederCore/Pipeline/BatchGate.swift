import Foundation

/// Limits the embedding requests in flight, across all the chunks being embedded, to the provider's concurrency.
///
/// A free slot goes to the waiter with the lowest priority value (the oldest chunk), not the first to ask: the
/// next chunk's batches fill only the slots the current chunk has no batch left for, so requests never drain at a
/// chunk boundary and the oldest chunk, which the next commit waits for, finishes first.
final class BatchGate: @unchecked Sendable {
    private struct Waiter {
        var priority: Int64
        var id: UInt64
        var continuation: CheckedContinuation<Void, Error>
    }

    private let lock = NSLock()
    private var free: Int
    private var waiters: [Waiter] = []
    /// Waiters cancelled before they were queued.
    private var cancelled: Set<UInt64> = []
    private var nextID: UInt64 = 0
    private var closed = false

    init(slots: Int) { free = max(1, slots) }

    /// Waits for a slot; throws `CancellationError` if the task is cancelled first or the gate is closed. Pair with
    /// ``release()``.
    func acquire(priority: Int64) async throws {
        let id: UInt64 = lock.withLock {
            nextID += 1
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                lock.lock()
                if cancelled.remove(id) != nil || closed {
                    lock.unlock()
                    continuation.resume(throwing: CancellationError())
                } else if free > 0 {
                    free -= 1
                    lock.unlock()
                    continuation.resume()
                } else {
                    waiters.append(Waiter(priority: priority, id: id, continuation: continuation))
                    lock.unlock()
                }
            }
        } onCancel: {
            lock.lock()
            if let index = waiters.firstIndex(where: { $0.id == id }) {
                let waiter = waiters.remove(at: index)
                lock.unlock()
                waiter.continuation.resume(throwing: CancellationError())
            } else {
                // Not queued yet (it will be refused when it is), or already granted (then this is harmless).
                cancelled.insert(id)
                lock.unlock()
            }
        }
    }

    /// Refuses every waiting and later ``acquire(priority:)``: once a batch has failed, no other batch of any chunk
    /// starts, so nothing more is paid for in a run that is stopping.
    func close() {
        lock.lock()
        closed = true
        let refused = waiters
        waiters = []
        lock.unlock()
        for waiter in refused { waiter.continuation.resume(throwing: CancellationError()) }
    }

    /// Tasks waiting for a slot.
    var waiting: Int { lock.withLock { waiters.count } }

    /// Hands the slot to the most urgent waiter, or frees it.
    func release() {
        lock.lock()
        // Waiters are few (one per chunk being embedded): a linear scan beats a heap.
        guard let index = waiters.indices.min(by: { (waiters[$0].priority, waiters[$0].id) < (waiters[$1].priority, waiters[$1].id) }) else {
            free += 1
            lock.unlock()
            return
        }
        let waiter = waiters.remove(at: index)
        lock.unlock()
        waiter.continuation.resume()
    }
}
