import Foundation
import XCTest
@testable import SeederCore

final class BatchGateTests: XCTestCase {
    /// Records the order in which waiters got their slot.
    final class Order: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Int] = []
        func append(_ value: Int) { lock.withLock { values.append(value) } }
        var all: [Int] { lock.withLock { values } }
    }

    func testAFreedSlotGoesToTheOldestChunkNotTheFirstToAsk() async throws {
        let gate = BatchGate(slots: 1)
        try await gate.acquire(priority: 0)
        let order = Order()
        let later = Task { try await gate.acquire(priority: 7); order.append(7); gate.release() }
        try await waitUntil { gate.waiting == 1 }
        let older = Task { try await gate.acquire(priority: 3); order.append(3); gate.release() }
        try await waitUntil { gate.waiting == 2 }
        gate.release()
        try await later.value
        try await older.value
        XCTAssertEqual(order.all, [3, 7])
    }

    func testACancelledWaiterGivesUpWithoutTakingASlot() async throws {
        let gate = BatchGate(slots: 1)
        try await gate.acquire(priority: 0)
        let waiter = Task { try await gate.acquire(priority: 1) }
        try await waitUntil { gate.waiting == 1 }
        waiter.cancel()
        do {
            try await waiter.value
            XCTFail("a cancelled waiter must throw")
        } catch is CancellationError {}
        XCTAssertEqual(gate.waiting, 0)
        gate.release()
        // The slot is free again: this returns at once.
        try await gate.acquire(priority: 2)
    }

    /// Polls `condition` until it holds (the waiters queue on other threads); fails after five seconds.
    private func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            guard ContinuousClock.now < deadline else { return XCTFail("condition never held") }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
