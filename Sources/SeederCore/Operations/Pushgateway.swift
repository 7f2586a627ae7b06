import AsyncHTTPClient
import Foundation

/// Pushes run metrics to a Prometheus Pushgateway, one group per job/model/tenant/partition.
public final class Pushgateway: Sendable {
    /// The base URL, without a trailing slash, e.g. `http://pushgateway:9091`.
    public let url: String
    private let timeoutNanoseconds: Int64
    private let client: HTTPClient

    /// Checks `url` and creates the HTTP client; call `shutdown()` when done.
    ///
    /// - Parameters:
    ///   - url: An `http` or `https` URL with a host and no credentials, e.g. `http://pushgateway:9091`.
    ///   - timeout: The limit for one push, connecting included.
    /// - Throws: `MetricsExportError` saying what is wrong with `url`.
    public init(url: String, timeout: Duration = .seconds(10)) throws {
        self.url = try Self.validated(url)
        let (seconds, attoseconds) = timeout.components
        // Clamp so an absurd Duration cannot overflow; a push never needs more than a day.
        let nanos = min(max(seconds, 0), 86_400) * 1_000_000_000 + max(attoseconds, 0) / 1_000_000_000
        self.timeoutNanoseconds = max(nanos, 1)
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .nanoseconds(timeoutNanoseconds), read: .nanoseconds(timeoutNanoseconds))
        configuration.redirectConfiguration = .disallow
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Replaces this run's group on the Pushgateway with `m` (HTTP PUT).
    ///
    /// - Throws: `MetricsExportError` naming the push URL, when the Pushgateway cannot be
    ///   reached in time or answers with a status other than 2xx (status and body start included).
    public func push(_ m: RunMetrics) async throws {
        let target = url + Self.groupingPath(m)
        var request = HTTPClientRequest(url: target)
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: "text/plain; version=0.0.4")
        // The grouping key in the URL labels every sample; sample labels of the same name would be
        // overwritten by it anyway, so they are left out of the body.
        let body = PrometheusExposition.render(m, includeGroupingLabels: false)
        request.body = .bytes(Array(body.utf8))

        let status: UInt
        let head: [UInt8]
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(timeoutNanoseconds))
            status = response.status.code
            var bytes: [UInt8] = []
            // Read the body to the end so the connection can be reused, keeping only its start for the message.
            for try await chunk in response.body where bytes.count < 200 {
                bytes += chunk.readableBytesView.prefix(200 - bytes.count)
            }
            head = bytes
        } catch {
            throw MetricsExportError(
                operation: "pushing metrics to",
                target: target,
                reason: "\(error) (timeout \(Duration.nanoseconds(timeoutNanoseconds)))",
                hint: "Check that the Pushgateway is running and reachable at this address."
            )
        }
        guard (200..<300).contains(status) else {
            let text = String(decoding: head, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw MetricsExportError(
                operation: "pushing metrics to",
                target: target,
                reason: "HTTP status \(status): \(text)",
                hint: "Check the Pushgateway URL and the Pushgateway's log."
            )
        }
    }

    /// Shuts the HTTP client down; the instance cannot push afterwards.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    /// The path of the run's group: `/metrics/job/seeder/seeder_job/…/model/…/tenant/…/partition/…`.
    static func groupingPath(_ m: RunMetrics) -> String {
        var path = "/metrics/job/seeder"
        for (name, value) in [("seeder_job", m.job), ("model", m.model), ("tenant", m.tenant), ("partition", m.partition)] {
            path += "/" + groupingSegment(name: name, value: value)
        }
        return path
    }

    /// One `name/value` pair of the grouping key, in the Pushgateway's base64url form when the value
    /// is empty or could be mangled as a path segment (a `/`, `.`/`..`, or anything needing escapes).
    static func groupingSegment(name: String, value: String) -> String {
        let safe = value.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: "~"):
                return true
            default:
                return false
            }
        }
        if safe && !value.isEmpty && value != "." && value != ".." {
            return "\(name)/\(value)"
        }
        // The Pushgateway README: an empty value is written as a single `=`.
        if value.isEmpty {
            return "\(name)@base64/="
        }
        let encoded = Data(value.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "\(name)@base64/\(encoded)"
    }

    /// Returns `url` without a trailing slash, or throws saying what is wrong with it.
    public static func validated(_ url: String) throws -> String {
        let example = "Give the Pushgateway's base URL, e.g. http://pushgateway:9091"
        func invalid(_ reason: String, hint: String = example) -> MetricsExportError {
            MetricsExportError(operation: "using the Pushgateway URL", target: redacted(url), reason: reason, hint: hint)
        }
        // Checked first, so no later message can echo a password.
        if let c = URLComponents(string: url), c.user != nil || c.password != nil {
            throw invalid(
                "the URL contains credentials (user:password@)",
                hint: "Remove them from the URL and pass credentials through a file or an environment variable instead."
            )
        }
        if redacted(url) != url {
            throw invalid("the URL looks like it contains credentials (user:password@)",
                          hint: "Remove them from the URL and pass credentials through a file or an environment variable instead.")
        }
        guard let c = URLComponents(string: url) else { throw invalid("it is not a valid URL") }
        guard let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw invalid("the scheme must be http or https")
        }
        guard let host = c.host, !host.isEmpty else { throw invalid("the URL has no host") }
        guard c.query == nil, c.fragment == nil else {
            throw invalid("the URL has a query or fragment, which a push URL cannot carry")
        }
        var trimmed = url
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed
    }

    /// `url` with anything between `://` and `@` in the authority replaced by `***`.
    static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<schemeEnd.upperBound]) + "***" + String(url[at...])
    }
}
