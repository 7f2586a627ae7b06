import Foundation

/// A bounded hand-off from a blocking producer thread (a source's C parser) to an async consumer.
///
/// The producer blocks in ``send(_:)`` while `capacity` items wait, so a fast source can't run ahead of
/// slow shards and fill memory (back-pressure); the consumer awaits ``next()`` without blocking a thread of
/// Swift's cooperative pool. ``cancel()`` makes a blocked or later `send` throw, which unwinds the source.
final class ChunkChannel<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var buffer: [Element] = []
    private var waiter: CheckedContinuation<Element?, Error>?
    private var finished = false
    private var failure: Error?
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Producer side: hands over an element, waiting while the buffer is full. Throws `CancellationError`
    /// once the consumer has cancelled.
    func send(_ element: Element) throws {
        condition.lock()
        while !cancelled && waiter == nil && buffer.count >= capacity { condition.wait() }
        if cancelled {
            condition.unlock()
            throw CancellationError()
        }
        if let waiter {
            self.waiter = nil
            condition.unlock()
            waiter.resume(returning: element)
            return
        }
        buffer.append(element)
        condition.unlock()
    }

    /// Producer side: no more elements; `error` is delivered after the buffered ones.
    func finish(throwing error: Error? = nil) {
        condition.lock()
        if cancelled {
            condition.unlock()
            return
        }
        finished = true
        failure = error
        let waiter = self.waiter
        self.waiter = nil
        condition.unlock()
        if let waiter {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
    }

    /// Consumer side: the next element, nil at the end, or the producer's error.
    func next() async throws -> Element? {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if !buffer.isEmpty {
                let element = buffer.removeFirst()
                condition.signal()
                condition.unlock()
                continuation.resume(returning: element)
            } else if finished {
                let error = failure
                condition.unlock()
                if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: nil) }
            } else {
                waiter = continuation
                condition.signal()
                condition.unlock()
            }
        }
    }

    /// Consumer side: stop the producer (its next `send` throws) and drop what is buffered. A consumer waiting in
    /// ``next()`` (a stop requested from another thread) gets nil at once, as do later calls.
    func cancel() {
        condition.lock()
        cancelled = true
        finished = true
        failure = nil
        buffer.removeAll()
        let waiter = self.waiter
        self.waiter = nil
        condition.broadcast()
        condition.unlock()
        waiter?.resume(returning: nil)
    }
}
