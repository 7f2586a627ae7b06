@testable import SeederCore
import XCTest

final class MatryoshkaTests: XCTestCase {
    func testLayerNormThenSliceThenL2MatchesHandComputedValues() {
        // [1, 2, 3, 4]: mean 2.5, variance 1.25 → layer norm (x − 2.5)/sqrt(1.25 + 1e-5); first two (−1.5, −0.5)·s,
        // unit length → (−3, −1)/sqrt(10).
        let two = MatryoshkaTruncation.truncate([1, 2, 3, 4] as [Float], to: 2)
        XCTAssertEqual(two.count, 2)
        XCTAssertEqual(two[0], Float(-3 / 10.0.squareRoot()), accuracy: 1e-6)
        XCTAssertEqual(two[1], Float(-1 / 10.0.squareRoot()), accuracy: 1e-6)
        // [2, 0, 0, −2, 5]: mean 1 → centred (1, −1, −1, −3, 4); first three (1, −1, −1)/sqrt(3).
        let three = MatryoshkaTruncation.truncate([2, 0, 0, -2, 5] as [Float], to: 3)
        let third = Float(1 / 3.0.squareRoot())
        for (got, want) in zip(three, [third, -third, -third]) { XCTAssertEqual(got, want, accuracy: 1e-6) }
        // The mean is over the full vector, not the kept part: slicing first would give (−1, 1)/sqrt(2) here.
        let notSliceFirst = MatryoshkaTruncation.truncate([0, 2, 10, 12] as [Float], to: 2)
        // mean 6 → (−6, −4) → (−3, −2)/sqrt(13)
        XCTAssertEqual(notSliceFirst[0], Float(-3 / 13.0.squareRoot()), accuracy: 1e-6)
        XCTAssertEqual(notSliceFirst[1], Float(-2 / 13.0.squareRoot()), accuracy: 1e-6)
    }

    func testRowsAreShortenedOneByOne() {
        let rows = MatryoshkaTruncation.truncateRows([1, 2, 3, 4, 2, 0, 0, -2] as [Float], fullDimensions: 4, to: 2)
        XCTAssertEqual(rows.count, 4)
        XCTAssertEqual(Array(rows[0..<2]), MatryoshkaTruncation.truncate([1, 2, 3, 4] as [Float], to: 2))
        XCTAssertEqual(Array(rows[2..<4]), MatryoshkaTruncation.truncate([2, 0, 0, -2] as [Float], to: 2))
    }

    private func providerFor(model: String, dimensions: Int, kind: String) throws -> HTTPEmbeddingProvider? {
        let dir = try temporaryDirectory(self)
        let path = "\(dir)/j.toml"
        try """
            [source]
            kind = "wikipedia-abstracts"
            input = "\(dir)/in.xml"
            [model]
            name = "\(model)"
            dimensions = \(dimensions)
            [provider]
            kind = "\(kind)"
            base_url = "http://127.0.0.1:9"
            [store]
            shards = ["\(dir)/s0.sqlite"]
            """.write(toFile: path, atomically: true, encoding: .utf8)
        try "<feed></feed>".write(toFile: "\(dir)/in.xml", atomically: true, encoding: .utf8)
        return try JobAssembly(job: try JobLoader.load(path: path), environment: ["OPENAI_API_KEY": "k"]).provider as? HTTPEmbeddingProvider
    }

    func testTheFactoryPicksTheMethodPerModel() throws {
        let nomic = try XCTUnwrap(try providerFor(model: "nomic-v1.5", dimensions: 256, kind: "openai"))
        XCTAssertEqual(nomic.serverDimensions, 768, "asks for the full vector")
        XCTAssertNil(nomic.settings.dimensionsParameter, "sends no dimensions to a server serving nomic")
        XCTAssertEqual(nomic.storedModel.model, "nomic-ai/nomic-embed-text-v1.5|task=search_document|dim=256")
        XCTAssertEqual(nomic.storedModel.dimensions, 256)

        let openAI = try XCTUnwrap(try providerFor(model: "text-embedding-3-small", dimensions: 512, kind: "openai"))
        XCTAssertEqual(openAI.settings.dimensionsParameter, 512)
        XCTAssertEqual(openAI.serverDimensions, 512)
        XCTAssertEqual(openAI.storedModel.model, "openai/text-embedding-3-small|dim=512")
        XCTAssertEqual(openAI.settings.encoding, .base64, "without provider.encoding_format, vectors travel as base64")

        XCTAssertThrowsError(try providerFor(model: "text-embedding-3-small", dimensions: 512, kind: "ollama")) {
            XCTAssertTrue(String(describing: $0).contains("`dimensions` parameter"), "\($0)")
        }
    }

    func testEachCatalogModelSaysHowItIsShortened() {
        XCTAssertEqual(ModelCatalog.lookup("nomic-v1.5")?.matryoshkaMethod, .layerNormSliceNormalize)
        XCTAssertEqual(ModelCatalog.lookup("text-embedding-3-small")?.matryoshkaMethod, .serverParameter)
        XCTAssertNil(ModelCatalog.lookup("minilm-l6")?.matryoshkaMethod)
    }
}
