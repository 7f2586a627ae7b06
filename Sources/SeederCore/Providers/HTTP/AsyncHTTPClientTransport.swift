import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// ``EmbeddingTransport`` over one `HTTPClient`, with a connection pool as wide as the provider's concurrency.
public final class AsyncHTTPClientTransport: EmbeddingTransport, @unchecked Sendable {
    private let client: HTTPClient
    private let lock = NSLock()
    private var isShutDown = false
    private let baseURL: String
    /// Refuses bodies larger than this: a server is untrusted, and 2,048 vectors of 3,072 floats as JSON fit.
    private let maxBodyBytes: Int

    /// - Parameters:
    ///   - baseURL: scheme, host, port and an optional path prefix, without a trailing slash.
    ///   - concurrency: connections per host (async-http-client's default is 8).
    public init(baseURL: String, concurrency: Int, connectTimeout: Duration, maxBodyBytes: Int = 512 << 20) {
        var configuration = HTTPClient.Configuration()
        var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60),
                                                           concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, concurrency))
        // Without this, a refused connection is retried inside the pool until the request's deadline; the
        // provider's own policy retries instead, and counts it towards giving up.
        pool.retryConnectionEstablishment = false
        configuration.connectionPool = pool
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .nanoseconds(Int64(connectTimeout.inSeconds * 1e9)), read: nil)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.maxBodyBytes = maxBodyBytes
    }

    public func send(_ request: WireRequest, timeout: Duration) async throws -> WireResponse {
        var outgoing = HTTPClientRequest(url: baseURL + request.path)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if !request.body.isEmpty { outgoing.body = .bytes(ByteBuffer(bytes: request.body)) }
        do {
            let response = try await client.execute(outgoing, timeout: .nanoseconds(Int64(timeout.inSeconds * 1e9)))
            let body = try await response.body.collect(upTo: maxBodyBytes)
            var headers: [String: String] = [:]
            for (name, value) in response.headers { headers[name.lowercased()] = value }
            return WireResponse(status: Int(response.status.code), headers: headers, body: Data(body.readableBytesView))
        } catch let error as CancellationError {
            throw error
        } catch let error as HTTPClientError where error == .cancelled {
            throw CancellationError()
        } catch {
            throw Self.classify(error)
        }
    }

    public func shutdown() async throws {
        guard lock.withLock({ () -> Bool in defer { isShutDown = true }; return !isShutDown }) else { return }
        try await client.shutdown()
    }

    // A forgotten shutdown must not crash the process (async-http-client traps on it in debug builds): start
    // one; the client keeps itself alive until it completes.
    deinit {
        if !isShutDown { client.shutdown().whenComplete { _ in } }
    }

    /// Sorts the client's errors into refused, timed out and broken, from their descriptions: they come from
    /// several layers (NIO's `IOError`, `NIOConnectionError`, `HTTPClientError`) with no common type.
    static func classify(_ error: Error) -> TransportError {
        let detail = String(describing: error)
        let lower = detail.lowercased()
        if lower.contains("refused") || lower.contains("errno: 111") || lower.contains("errno: 61") {
            return TransportError(.refused, detail: detail)
        }
        if lower.contains("timeout") || lower.contains("timed out") || lower.contains("deadline") {
            return TransportError(.timeout, detail: detail)
        }
        return TransportError(.broken, detail: detail)
    }
}
