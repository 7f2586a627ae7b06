import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM into calls of `handler` on a queue, instead of killing the process: a run asked to stop
/// finishes its batches in flight, commits and saves its checkpoint (``RunStop``). Keep the watcher alive for as
/// long as the handling should last.
final class SignalWatcher: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    init(_ signals: [Int32] = [SIGINT, SIGTERM], handler: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "seeder.signals")
        for signo in signals {
            // Ignored first, so the default action (terminate) never runs; the dispatch source still sees it.
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: queue)
            source.setEventHandler { handler(signo) }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
