import FakeEmbeddingServer

/// What the CLI server writes to --log on exit: totals, statuses, the peak request and token rates, and every record.
struct LogSummary: Encodable {
    var requests: Int
    var failures: Int
    var items: Int
    var tokens: Int
    var distinctTexts: Int
    var textsServedMoreThanOnce: Int
    var statuses: [String: Int]
    var peakRequestsPerMinute: Int
    var peakTokensPerMinute: Int
    var peakRequestsPerSecond: Int
    var peakTokensPerSecond: Int
    var records: [RequestRecord]

    init(_ log: RequestLog) {
        requests = log.requests
        failures = log.failures
        items = log.records.reduce(0) { $0 + $1.items }
        tokens = log.records.reduce(0) { $0 + $1.tokens }
        distinctTexts = log.itemsReceived.count
        textsServedMoreThanOnce = log.itemsServed.values.filter { $0 > 1 }.count
        statuses = Dictionary(log.records.map { (String($0.status), 1) }, uniquingKeysWith: +)
        // Rates count the requests the server admitted (answered 200), which is what limits are about.
        let minute = log.peak(window: 60) { $0.isEmbedding && $0.status == 200 }
        let second = log.peak(window: 1) { $0.isEmbedding && $0.status == 200 }
        peakRequestsPerMinute = minute.requests
        peakTokensPerMinute = minute.tokens
        peakRequestsPerSecond = second.requests
        peakTokensPerSecond = second.tokens
        records = log.records
    }
}
