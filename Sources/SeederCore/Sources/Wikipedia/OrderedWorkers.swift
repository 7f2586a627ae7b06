import Foundation

/// Runs `work` over the jobs `0..<count` on several threads and hands the results back in job order, keeping at
/// most `window` results done or in progress ahead of the consumer (bounded memory whatever the input's size).
///
/// Used for multistream dumps: each job decompresses and parses one bzip2 stream, and the pipeline gets the pages
/// in dump order. Worker threads are plain threads (the work is blocking C code), never Swift's cooperative pool.
final class OrderedWorkers<Result>: @unchecked Sendable {
    private let condition = NSCondition()
    private let count: Int
    private let window: Int
    private var nextJob = 0
    private var nextResult = 0
    private var results: [Int: Result] = [:]
    private var cancelled = false
    private var running = 0

    /// Starts `threads` threads; each makes its own state with `makeState` (a page reader with its buffers), then
    /// runs jobs with it.
    init<State>(count: Int, threads: Int, window: Int, name: String,
                makeState: @escaping @Sendable () -> State, work: @escaping @Sendable (inout State, Int) -> Result) {
        self.count = count
        self.window = max(window, threads)
        let threads = max(1, min(threads, count))
        running = threads
        for n in 0..<threads {
            let thread = Thread { [self] in
                var state = makeState()
                while let job = self.takeJob() {
                    let result = work(&state, job)
                    self.finish(job, result)
                }
                self.condition.lock()
                self.running -= 1
                self.condition.broadcast()
                self.condition.unlock()
            }
            thread.name = "\(name)-\(n)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func takeJob() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled && nextJob < count && nextJob - nextResult >= window {
            condition.wait()
        }
        guard !cancelled, nextJob < count else { return nil }
        defer { nextJob += 1 }
        return nextJob
    }

    private func finish(_ job: Int, _ result: Result) {
        condition.lock()
        results[job] = result
        condition.broadcast()
        condition.unlock()
    }

    /// The next result in job order, waiting for it; nil after the last one or once cancelled.
    func next() -> Result? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled && nextResult < count && results[nextResult] == nil {
            condition.wait()
        }
        guard !cancelled, nextResult < count, let result = results.removeValue(forKey: nextResult) else { return nil }
        nextResult += 1
        condition.broadcast()
        return result
    }

    /// Stops handing out jobs and waits for the threads to finish the ones they hold (so nothing outlives the read).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        results.removeAll()
        condition.unlock()
    }
}
