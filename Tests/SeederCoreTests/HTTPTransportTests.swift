import Foundation
import XCTest
@testable import SeederCore

/// The async-http-client transport against a port nothing listens on (no server needed); real answers are
/// tested against the fake embedding server.
final class HTTPTransportTests: XCTestCase {
    func testRefusedConnectionIsReportedAtOnce() async throws {
        let transport = AsyncHTTPClientTransport(baseURL: "http://127.0.0.1:1", concurrency: 2, connectTimeout: .seconds(5))
        let started = ContinuousClock.now
        do {
            _ = try await transport.send(WireRequest(method: "POST", path: "/v1/embeddings", body: Data("{}".utf8)), timeout: .seconds(20))
            XCTFail("nothing listens on port 1")
        } catch let error as TransportError {
            XCTAssertEqual(error.kind, .refused, "\(error)")
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3), "the pool must not retry connecting until the deadline")
        try await transport.shutdown()
    }

    func testProviderSaysNothingListens() async throws {
        let settings = HTTPProviderSettings(kind: .tei, baseURL: "http://127.0.0.1:1", serverModel: "BAAI/bge-small-en-v1.5",
                                            giveUpAfter: .zero)
        let provider = HTTPEmbeddingProvider(storedModel: StoredModel(model: "m", version: "1", dimensions: 2), settings: settings)
        do {
            _ = try await provider.embed([EmbeddingInput(text: "a", hash: TextHash(normalized: "a"), estimatedTokens: 1)])
            XCTFail("must throw")
        } catch let error as ProviderError {
            XCTAssertEqual(error.kind, .unavailable)
            XCTAssertTrue(error.hint?.contains("nothing listens on 127.0.0.1:1") == true, "\(error)")
            XCTAssertTrue(error.hint?.contains("docker run") == true, "\(error)")
        }
        try await provider.shutdown()
    }
}
