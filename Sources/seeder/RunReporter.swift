import Foundation
import Logging
import SeederCore

/// What an operator sees while a run works: on a terminal a live progress line (rate, ETA, counts), redrawn twice a
/// second; off one a progress line logged every `interval` (so cron mail and journald get a few lines, not
/// thousands); and the metrics file and Pushgateway refreshed every `interval` and once at the end.
final class RunReporter: @unchecked Sendable {
    enum Mode: String, CaseIterable, Sendable {
        /// A live line on a terminal, logged lines otherwise.
        case auto
        /// The live line, even when standard error is not a terminal.
        case line
        /// Logged lines every interval.
        case log
        /// Nothing until the summary.
        case off
    }

    private let mode: Mode
    private let interval: Duration
    private let inputSize: Int64?
    private let logger: Logger
    private let textfile: MetricsTextfile?
    private let pushgateway: Pushgateway?
    private let label: String
    private let started = ContinuousClock.now

    private let lock = NSLock()
    // Guarded by `lock`.
    private var latest: RunRecord?
    /// The first position seen by this invocation: rates and the ETA are over this invocation's work only.
    private var baseline: (at: ContinuousClock.Instant, items: Int64, bytes: Int64)?
    private var lastSuccess: Date?
    private var lineShown = false
    private var ticker: Task<Void, Never>?

    init(mode: Mode, interval: Duration, inputSize: Int64?, label: String, logger: Logger,
         textfile: MetricsTextfile?, pushgateway: Pushgateway?) {
        if mode == .auto {
            self.mode = isatty(STDERR_FILENO) == 1 ? .line : .log
        } else {
            self.mode = mode
        }
        self.interval = interval
        self.inputSize = inputSize
        self.label = label
        self.logger = logger
        self.textfile = textfile
        self.pushgateway = pushgateway
    }

    /// Starts the periodic output. `lastSuccess`: when an invocation of this run's job last ended cleanly (metrics).
    func start(lastSuccess: Date?) {
        lock.withLock { self.lastSuccess = lastSuccess }
        let drawEvery: Duration = mode == .line ? .milliseconds(500) : interval
        ticker = Task { [weak self] in
            var sinceExport = Duration.zero
            while !Task.isCancelled {
                try? await Task.sleep(for: drawEvery)
                guard let self, !Task.isCancelled else { return }
                if mode == .line { self.drawLine() }
                if mode == .log { self.logLine() }
                sinceExport += drawEvery
                if sinceExport >= interval {
                    sinceExport = .zero
                    await self.export(stageSeconds: [:])
                }
            }
        }
    }

    /// The run as of its latest committed chunk (the pipeline's onCheckpoint).
    func update(_ run: RunRecord) {
        lock.withLock {
            if baseline == nil { baseline = (ContinuousClock.now, run.counters.itemsRead, run.counters.inputBytesRead) }
            latest = run
        }
    }

    /// Stops the periodic output, ends the live line, and exports the final figures: those of `run` when given (a
    /// run that stopped on an error), else the last the pipeline reported.
    func finish(_ run: RunRecord?, stageSeconds: [String: Double]) async {
        // Wait for a tick under way: its export, finishing after the final one, would put older figures back.
        let running = ticker
        ticker = nil
        running?.cancel()
        await running?.value
        let wasShown: Bool = lock.withLock {
            if let run { latest = run }
            // Ended cleanly: the input is read, or the run paused at a budget or on a signal.
            if let run = latest, run.state == .done || run.state == .paused { lastSuccess = run.finishedAt ?? run.updatedAt }
            defer { lineShown = false }
            return lineShown
        }
        if wasShown { FileHandle.standardError.write(Data("\n".utf8)) }
        await export(stageSeconds: stageSeconds)
        try? await pushgateway?.shutdown()
    }

    // MARK: Progress

    /// The progress text: where the run is, how fast it goes, what it has done.
    func progressText(now: ContinuousClock.Instant = .now) -> String? {
        guard let run = lock.withLock({ latest }) else { return nil }
        let c = run.counters
        var parts: [String] = [label]
        if let size = inputSize, size > 0 {
            parts.append(String(format: "%.1f%%", min(100, 100 * Double(c.inputBytesRead) / Double(size))))
        }
        parts.append("\(c.itemsRead) items")
        let elapsed = (now - started).seconds
        if let (rate, eta) = rates(run, now: now) {
            parts.append(String(format: "%.0f/s", rate))
            if let eta { parts.append("ETA \(SummaryFormatter.duration(eta))") }
        }
        parts.append("embedded \(c.embedded)")
        parts.append("stored \(c.stored)")
        parts.append("dup \(c.duplicatesInRun + c.alreadyStored)")
        parts.append("skipped \(c.skippedTotal)")
        if c.retries > 0 { parts.append("retries \(c.retries)") }
        parts.append("elapsed \(SummaryFormatter.duration(elapsed))")
        return parts.joined(separator: "  ")
    }

    /// Items per second since this invocation's first checkpoint, and the seconds left at the byte rate over the
    /// same span (nil without the input's size). Nil until a second has passed since that checkpoint.
    private func rates(_ run: RunRecord, now: ContinuousClock.Instant) -> (Double, Double?)? {
        guard let base = lock.withLock({ baseline }) else { return nil }
        let span = (now - base.at).seconds
        guard span >= 1 else { return nil }
        let c = run.counters
        let rate = Double(c.itemsRead - base.items) / span
        var eta: Double?
        if let size = inputSize, size > 0, c.inputBytesRead > base.bytes {
            let byteRate = Double(c.inputBytesRead - base.bytes) / span
            eta = Double(max(0, size - c.inputBytesRead)) / byteRate
        }
        return (rate, eta)
    }

    private func drawLine() {
        guard let text = progressText() else { return }
        lock.withLock { lineShown = true }
        // \r and "erase line": the line is redrawn in place.
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    private func logLine() {
        guard let text = progressText(), let run = lock.withLock({ latest }) else { return }
        let c = run.counters
        // Text logs carry the line alone; JSON logs also carry its figures as fields.
        guard LogFormat.current == .json else {
            logger.notice("progress \(text)")
            return
        }
        logger.notice("progress \(text)", metadata: [
            "items_read": "\(c.itemsRead)", "embedded": "\(c.embedded)", "stored": "\(c.stored)",
            "skipped": "\(c.skippedTotal)", "retries": "\(c.retries)", "input_bytes_read": "\(c.inputBytesRead)",
        ])
    }

    // MARK: Metrics

    /// Writes the metrics file and pushes to the Pushgateway. A failure is a warning: metrics never stop a run.
    private func export(stageSeconds: [String: Double]) async {
        guard textfile != nil || pushgateway != nil else { return }
        guard let (run, lastSuccess) = lock.withLock({ latest.map { ($0, self.lastSuccess) } }) else { return }
        let metrics = RunMetrics(run: run, inputBytesTotal: inputSize, invocationSeconds: (ContinuousClock.now - started).seconds,
                                 stageSeconds: stageSeconds, lastSuccess: lastSuccess)
        if let textfile {
            do { try textfile.write(metrics) } catch { logger.warning("metrics: \(error)") }
        }
        if let pushgateway {
            do { try await pushgateway.push(metrics) } catch { logger.warning("metrics: \(error)") }
        }
    }
}
