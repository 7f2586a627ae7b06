/// Every request the fake server saw, and the counters tests read. A value: ``FakeEmbeddingServer/log`` hands
/// out a snapshot.
public struct RequestLog: Sendable {
    /// Each request in arrival order.
    public internal(set) var records: [RequestRecord] = []
    /// How many times each text arrived in a request whose body was read (paid for or not).
    public internal(set) var itemsReceived: [String: Int] = [:]
    /// How many times each text was answered with a 200 (what a real service would bill).
    public internal(set) var itemsServed: [String: Int] = [:]

    /// Requests seen, including dropped ones.
    public var requests: Int { records.count }
    /// Requests not answered with 200 (errors and dropped connections).
    public var failures: Int { records.filter { $0.status != 200 }.count }
    /// Requests answered with 200 but whose body was spoiled on purpose.
    public var corrupted: Int { records.filter { $0.status == 200 && $0.fault != nil }.count }

    /// The most embedding requests the server was serving at once.
    public var peakConcurrency: Int { records.map(\.inFlight).max() ?? 0 }

    /// The most requests and the most tokens found in any window of `seconds` (sliding, anchored at each arrival),
    /// counting only the records `include` keeps (by default every embedding request, whatever its answer).
    /// Compare with a limit: `peak(window: 60) { $0.status == 200 }.requests <= rpm`.
    public func peak(window seconds: Double, include: (RequestRecord) -> Bool = { $0.isEmbedding }) -> (requests: Int, tokens: Int) {
        let kept = records.filter(include).sorted { $0.arrival < $1.arrival }
        var start = 0
        var tokens = 0
        var best = (requests: 0, tokens: 0)
        for (end, record) in kept.enumerated() {
            tokens += record.tokens
            while kept[start].arrival <= record.arrival - seconds {
                tokens -= kept[start].tokens
                start += 1
            }
            best.requests = max(best.requests, end - start + 1)
            best.tokens = max(best.tokens, tokens)
        }
        return best
    }
}
