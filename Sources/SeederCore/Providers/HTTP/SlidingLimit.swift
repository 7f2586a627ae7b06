/// One per-minute limit (requests or tokens) of a ``RateBudget``. Pure: the caller passes the time.
///
/// Two rules decide when an amount may go; each holds at any later time once it holds, so the earliest time
/// both allow is simply the later of the two:
/// - **Window:** a log of what was sent in the last 60 s (with reservations ahead), so no window (t − 60, t]
///   holds more than the limit. A plain bucket can't promise that: its capacity adds to every window.
/// - **Pace:** a small bucket (GCRA) of one second's share refilling at the limit's rate, so a minute's budget
///   isn't spent in its first second. Servers enforce limits pro rata over shorter windows (OpenAI: "60,000
///   requests/minute may be enforced as 1,000 requests/second"). In any span of w seconds it sends less than
///   rate·w + max(burst, the span's largest amount): for one second, under twice the second's share, or one
///   request when the share is below one. An amount larger than the burst goes on a full bucket, alone.
struct SlidingLimit: Sendable, Equatable {
    /// Something counted in the window: one reservation, or several within ``mergeSpan`` of each other.
    struct Entry: Sendable, Equatable {
        /// The first merged reservation's send time: merging stops ``mergeSpan`` after it.
        var since: Double
        /// The last merged reservation's send time; the entry leaves the window 60 s after it.
        var time: Double
        var amount: Double
    }

    /// What the server says was used beyond this log, shrinking linearly to nothing by `from + duration`
    /// (how OpenAI's buckets refill, and when its `x-ratelimit-reset-*` says they are full again).
    struct Claim: Sendable, Equatable {
        var amount: Double
        var from: Double
        var duration: Double

        func value(at time: Double) -> Double {
            guard duration > 0 else { return 0 }
            return amount * max(0, 1 - (time - from) / duration)
        }

        /// The earliest time the claim is at most `room`.
        func earliest(atMost room: Double) -> Double {
            guard amount > room, duration > 0 else { return -.infinity }
            return from + duration * (1 - room / amount)
        }
    }

    /// Reservations this close to an entry's first one join it, moved to the later time. That keeps the log to
    /// about 60 / mergeSpan entries and only delays an amount's leaving the window by at most this much.
    static let mergeSpan = 0.05
    static let window = 60.0

    let perMinute: Int
    private var log: [Entry] = []
    private var logStart = 0
    /// The sum of the log's amounts from `logStart`.
    private var logged = 0.0
    /// The pace bucket's theoretical arrival time: it is full when this is not after now.
    private var paceTime: Double
    private var claim: Claim?

    init(perMinute: Int, now: Double) {
        self.perMinute = max(perMinute, 1)
        paceTime = now
    }

    var limit: Double { Double(perMinute) }
    /// The amount per second.
    var rate: Double { limit / Self.window }
    /// The pace bucket's capacity: one second's share, and at least one request.
    var burst: Double { max(1, rate) }

    /// What one reservation of `amount` counts for: an amount larger than the whole limit counts as the limit,
    /// so it goes alone in an empty window and nothing follows it for a minute.
    func charge(_ amount: Int) -> Double { min(Double(max(amount, 0)), limit) }

    /// Forgets what left the window before `now`: later reservations are never earlier than now.
    mutating func prune(_ now: Double) {
        while logStart < log.count, log[logStart].time <= now - Self.window {
            logged -= log[logStart].amount
            logStart += 1
        }
        if logStart > 64, logStart * 2 > log.count {
            log.removeFirst(logStart)
            logStart = 0
        }
        if logStart == log.count { logged = 0 }
        if let c = claim, c.value(at: now) <= 0 { claim = nil }
    }

    /// The earliest time at or after `start` that `amount` may go. `start` must not be before the last
    /// reservation (reservations are first come, first served), so everything in the log is at or before it and
    /// the window's load only falls as the time moves on: the first time that fits is the earliest.
    func earliest(_ amount: Int, from start: Double) -> Double {
        let charge = charge(amount)
        let tolerance = Self.burstTolerance(burst: burst, rate: rate)
        // Pace: after this reservation the bucket must not be more than one burst ahead; a reservation larger
        // than the burst waits for a full bucket instead.
        var candidate = max(start, paceTime - tolerance + min(charge / rate, tolerance))
        var index = logStart, used = logged
        while index < log.count, log[index].time <= candidate - Self.window {
            used -= log[index].amount
            index += 1
        }
        while true {
            let nextExit = index < log.count ? log[index].time + Self.window : .infinity
            let room = limit - used - charge
            if room >= 0 || index == log.count {
                let fits = max(candidate, claim?.earliest(atMost: max(room, 0)) ?? candidate)
                if fits < nextExit { return fits }
            }
            // Not before the oldest entry leaves: try again then, with everything that leaves at the same time.
            candidate = nextExit
            while index < log.count, log[index].time + Self.window <= candidate {
                used -= log[index].amount
                index += 1
            }
        }
    }

    /// Records `amount` going at `time` (from ``earliest(_:from:)``).
    mutating func record(_ amount: Int, at time: Double) {
        let charge = charge(amount)
        paceTime = max(paceTime, time) + charge / rate
        logged += charge
        // Moving the merged entry later is safe: every later check is for a window ending at or after `time`.
        if logStart < log.count, time - log[log.count - 1].since <= Self.mergeSpan {
            log[log.count - 1].time = max(log[log.count - 1].time, time)
            log[log.count - 1].amount += charge
        } else {
            log.append(Entry(since: time, time: time, amount: charge))
        }
    }

    /// Believes the server when it says less is left than this log implies: the difference is counted until
    /// `reset` (the server's time to a full budget), shrinking linearly; a minute when the server doesn't say.
    mutating func observe(remaining: Int, reset: Double?, now: Double) {
        prune(now)
        let serverUsed = limit - Double(max(remaining, 0))
        let ours = logged + (claim?.value(at: now) ?? 0)
        guard serverUsed > ours else { return }
        claim = Claim(amount: serverUsed - logged, from: now, duration: max(reset ?? Self.window, 0))
    }

    /// How far ahead of a full pace bucket reservations may run: one burst's worth of time.
    static func burstTolerance(burst: Double, rate: Double) -> Double { burst / rate }

    /// Entries kept, for tests of the memory bound.
    var entryCount: Int { log.count - logStart }
}
