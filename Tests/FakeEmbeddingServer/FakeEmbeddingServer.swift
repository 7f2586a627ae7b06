import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A fake remote embedding service on loopback: OpenAI, Ollama and TEI on their real paths and shapes, with faults
/// a test can switch while it runs. Start it on port 0 and read ``port``.
///
/// Each request goes through the same steps in this order, the first that applies deciding the answer:
/// a drop at `.midRequest` (on the head, body unread); the JSON body (400/422); the API key (401); the model
/// (404); latency and jitter; an injected 429; an injected 500/502/503; TEI's concurrency (429); the item limit;
/// the per-input length (TEI 422 unless `truncate`; Ollama truncates to its context, or 400 with
/// `"truncate": false`); the token limit; RPM/TPM, counted at arrival; then the answer, maybe corrupted, maybe
/// dropped `.midResponse`. Every step's outcome is in ``log``.
///
/// Vectors are always unit length (TEI's `normalize: false` is accepted and ignored); token counts are
/// ``FakeVectors/tokens(for:)`` after truncation.
///
/// Limits answer as each service does: OpenAI 400 (`max_tokens_per_request` for tokens) and 429 with
/// `retry-after`, `retry-after-ms` and `x-ratelimit-*`; Ollama 400 `{"error"}` (it has no batch limits of its
/// own: the fake's are an addition); TEI 413 for items over `max_client_batch_size`, 422 for tokens, 429
/// "Model is overloaded". Defaults without ``Faults/maxItems``/``Faults/maxTokens``: OpenAI 2048 inputs and
/// 300 000 tokens, TEI 32 and 16 384, Ollama none.
///
/// ```swift
/// let server = FakeEmbeddingServer(FakeServerConfiguration())
/// try await server.start()
/// server.updateFaults { $0.rateLimit = .next(2) }
/// // … point the client at http://127.0.0.1:\(server.port) …
/// XCTAssertLessThanOrEqual(server.log.peak(window: 60).requests, 100)
/// try await server.shutdown()
/// ```
public final class FakeEmbeddingServer: Sendable {
    private let config: FakeServerConfiguration
    private let state: ServerState
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let running = NIOLockedValueBox<Running?>(nil)

    private struct Running {
        var channel: Channel
        var acceptor: Task<Void, Never>
        var port: Int
    }

    /// A server that will serve `config` once started.
    public init(_ config: FakeServerConfiguration = FakeServerConfiguration()) {
        self.config = config
        self.state = ServerState(faults: config.faults, seed: config.seed)
    }

    /// The bound port (0 before ``start()``).
    public var port: Int { running.withLockedValue { $0?.port ?? 0 } }

    /// `http://host:port`, for pointing a client at the server.
    public var baseURL: String { "http://\(config.host):\(port)" }

    /// A snapshot of every request seen so far and the counters.
    public var log: RequestLog { state.box.withLockedValue { $0.log } }

    /// The faults in force.
    public var faults: Faults { state.faults }

    /// Changes the faults atomically; requests already waiting out their latency see the change.
    public func updateFaults(_ change: (inout Faults) -> Void) {
        state.box.withLockedValue { change(&$0.faults) }
    }

    /// Forgets the log and the RPM/TPM window (faults stay).
    public func resetLog() {
        state.box.withLockedValue { $0.log = RequestLog(); $0.window = [] }
    }

    /// Binds and starts accepting connections.
    public func start() async throws {
        let service = FakeEmbeddingService(config: config, state: state)
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: config.host, port: config.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        let channel = server.channel
        let acceptor = Task<Void, Never> {
            _ = try? await server.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in connections {
                            group.addTask { await FakeConnection(service: service).serve(connection) }
                        }
                    } catch {
                        // The listening socket closed: shutdown() is under way.
                    }
                    // Connections kept alive by clients must not hold shutdown up.
                    group.cancelAll()
                }
            }
        }
        running.withLockedValue { $0 = Running(channel: channel, acceptor: acceptor, port: channel.localAddress?.port ?? 0) }
    }

    /// Stops accepting, closes open connections and releases the event loop.
    public func shutdown() async throws {
        guard let current = running.withLockedValue({ r -> Running? in defer { r = nil }; return r }) else { return }
        current.acceptor.cancel()
        try? await current.channel.close()
        await current.acceptor.value
        try await group.shutdownGracefully()
    }
}
