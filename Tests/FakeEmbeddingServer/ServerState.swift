import NIOConcurrencyHelpers
import NIOCore

/// The fake's mutable state behind one lock: faults (tests flip them while requests run), the seeded generator,
/// the sliding window of admitted requests for RPM/TPM, requests in flight and the log.
final class ServerState: Sendable {
    struct Mutable {
        var faults: Faults
        var rng: SplitMix64
        /// Admitted (arrival seconds, tokens) within the last minute, for the RPM/TPM limits.
        var window: [(Double, Int)] = []
        var inFlight = 0
        var log = RequestLog()
    }

    let box: NIOLockedValueBox<Mutable>
    let started = NIODeadline.now()

    init(faults: Faults, seed: UInt64) {
        box = NIOLockedValueBox(Mutable(faults: faults, rng: SplitMix64(seed: seed)))
    }

    /// Seconds since the server started.
    func now() -> Double {
        Double((NIODeadline.now() - started).nanoseconds) / 1e9
    }

    var faults: Faults { box.withLockedValue { $0.faults } }

    /// Whether a trigger fires for this request; consumes one of `.next(k)`.
    func fires(_ path: WritableKeyPath<Faults, FaultTrigger>) -> Bool {
        box.withLockedValue { state in
            switch state.faults[keyPath: path] {
            case .never: return false
            case .always: return true
            case .next(let k):
                guard k > 0 else { return false }
                state.faults[keyPath: path] = .next(k - 1)
                return true
            case .probability(let p): return state.rng.nextUnit() < p
            }
        }
    }

    /// A uniform draw in 0...upper from the seeded generator.
    func draw(upTo upper: Int) -> Int {
        guard upper > 0 else { return 0 }
        return box.withLockedValue { Int($0.rng.next() % UInt64(upper + 1)) }
    }

    /// Admits a request under the RPM/TPM limits (returning the `x-ratelimit-*` headers OpenAI sends with every
    /// answer) or says which limit it would break, with OpenAI's 429 headers.
    func admit(tokens: Int, at time: Double) -> Result<[(String, String)], RefusalBox> {
        box.withLockedValue { state in
            state.window.removeAll { $0.0 <= time - 60 }
            let used = (requests: state.window.count, tokens: state.window.reduce(0) { $0 + $1.1 })
            let rpm = state.faults.rpm, tpm = state.faults.tpm
            let overRequests = rpm.map { used.requests + 1 > $0 } ?? false
            let overTokens = tpm.map { used.tokens + tokens > $0 } ?? false
            if !overRequests && !overTokens, let refusal = Self.burstRefusal(state, tokens: tokens, at: time, used: used) {
                return .failure(RefusalBox(refusal: refusal))
            }
            if !overRequests && !overTokens {
                state.window.append((time, tokens))
                var headers: [(String, String)] = []
                let resetAll = state.window.first.map { $0.0 + 60 - time } ?? 0
                if let rpm {
                    headers += [("x-ratelimit-limit-requests", String(rpm)),
                                ("x-ratelimit-remaining-requests", String(rpm - used.requests - 1)),
                                ("x-ratelimit-reset-requests", Self.duration(resetAll))]
                }
                if let tpm {
                    headers += [("x-ratelimit-limit-tokens", String(tpm)),
                                ("x-ratelimit-remaining-tokens", String(tpm - used.tokens - tokens)),
                                ("x-ratelimit-reset-tokens", Self.duration(resetAll))]
                }
                return .success(headers)
            }
            // The wait is until enough of the window has expired for this request to fit.
            var waitRequests = 0.0, waitTokens = 0.0
            if overRequests, let rpm, let oldest = state.window.dropFirst(max(0, used.requests - rpm)).first {
                waitRequests = oldest.0 + 60 - time
            }
            if overTokens, let tpm {
                var freed = 0
                for (t, n) in state.window {
                    freed += n
                    if used.tokens - freed + tokens <= tpm { waitTokens = t + 60 - time; break }
                }
                if waitTokens == 0 { waitTokens = 60 }
            }
            let wait = max(waitRequests, waitTokens, 0.001)
            var headers: [(String, String)] = [
                ("retry-after", String(Int(wait.rounded(.up)))), ("retry-after-ms", String(Int((wait * 1000).rounded(.up)))),
            ]
            if let rpm {
                headers += [("x-ratelimit-limit-requests", String(rpm)),
                            ("x-ratelimit-remaining-requests", String(max(0, rpm - used.requests))),
                            ("x-ratelimit-reset-requests", Self.duration(waitRequests))]
            }
            if let tpm {
                headers += [("x-ratelimit-limit-tokens", String(tpm)),
                            ("x-ratelimit-remaining-tokens", String(max(0, tpm - used.tokens))),
                            ("x-ratelimit-reset-tokens", Self.duration(waitTokens))]
            }
            return .failure(RefusalBox(refusal: overRequests
                ? .rateLimited(kind: "requests", limit: rpm ?? 0, used: used.requests, requested: 1, headers: headers)
                : .rateLimited(kind: "tokens", limit: tpm ?? 0, used: used.tokens, requested: tokens, headers: headers)))
        }
    }

    /// The limits scaled down to ``Faults/rateBurstWindow`` (at least 1 request or token), as OpenAI enforces
    /// them over short spans too. A request alone in that window always passes, or a large one could never run.
    private static func burstRefusal(_ state: Mutable, tokens: Int, at time: Double,
                                     used: (requests: Int, tokens: Int)) -> Refusal? {
        guard let burst = state.faults.rateBurstWindow, burst > 0, burst < 60 else { return nil }
        let recent = state.window.filter { $0.0 > time - burst }
        guard let first = recent.first else { return nil }
        func scaled(_ limit: Int) -> Int { max(1, Int((Double(limit) * burst / 60).rounded(.up))) }
        let rpm = state.faults.rpm, tpm = state.faults.tpm
        let overRequests = rpm.map { recent.count + 1 > scaled($0) } ?? false
        let overTokens = tpm.map { recent.reduce(0) { $0 + $1.1 } + tokens > scaled($0) } ?? false
        guard overRequests || overTokens else { return nil }
        let wait = max(first.0 + burst - time, 0.001)
        var headers: [(String, String)] = [
            ("retry-after", String(Int(wait.rounded(.up)))), ("retry-after-ms", String(Int((wait * 1000).rounded(.up)))),
        ]
        if let rpm {
            headers += [("x-ratelimit-limit-requests", String(rpm)),
                        ("x-ratelimit-remaining-requests", String(max(0, rpm - used.requests))),
                        ("x-ratelimit-reset-requests", duration(wait))]
        }
        if let tpm {
            headers += [("x-ratelimit-limit-tokens", String(tpm)),
                        ("x-ratelimit-remaining-tokens", String(max(0, tpm - used.tokens))),
                        ("x-ratelimit-reset-tokens", duration(wait))]
        }
        return overRequests
            ? .rateLimited(kind: "requests", limit: rpm ?? 0, used: used.requests, requested: 1, headers: headers)
            : .rateLimited(kind: "tokens", limit: tpm ?? 0, used: used.tokens, requested: tokens, headers: headers)
    }

    /// OpenAI's reset format: `20ms`, `1.5s`, `6m0s`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded(.up)))ms" }
        if seconds < 60 { return "\((seconds * 1000).rounded(.up) / 1000)s" }
        return "\(Int(seconds) / 60)m\(Int(seconds) % 60)s"
    }

    /// Counts a request in flight; returns how many are now in flight.
    func enter() -> Int { box.withLockedValue { $0.inFlight += 1; return $0.inFlight } }
    func leave() { box.withLockedValue { $0.inFlight -= 1 } }

    /// Appends a record and, when the body was read, the per-text counters.
    func record(_ record: RequestRecord, inputs: [String]) {
        box.withLockedValue { state in
            state.log.records.append(record)
            for text in inputs {
                state.log.itemsReceived[text, default: 0] += 1
                if record.status == 200 { state.log.itemsServed[text, default: 0] += 1 }
            }
        }
    }
}
