import Foundation
import XCTest
@testable import SeederCore

/// Each kind's `[source]` keys: read into the source's options, checked against the kind, defaults per kind.
final class SourceCatalogTests: XCTestCase {
    func load(_ source: String) throws -> JobConfig {
        let dir = try temporaryDirectory(self)
        let path = "\(dir)/job.toml"
        try """
            [source]
            \(source)
            [model]
            name = "minilm-l6"
            [store]
            shards = ["s0.sqlite"]
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return try JobLoader.load(path: path)
    }

    func loadError(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> ConfigurationError? {
        do {
            _ = try load(source)
            XCTFail("expected a configuration error", file: file, line: line)
            return nil
        } catch {
            return error as? ConfigurationError
        }
    }

    func testKindKeysBecomeTheSourcesOptions() throws {
        let wikipedia = try load("""
            kind = "wikipedia"
            input = "d.xml.bz2"
            extent = "sentences"
            sentences = 3
            index = "none"
            threads = 3
            """)
        guard case .wikipedia(let w) = wikipedia.source.options else { return XCTFail("\(wikipedia.source.options)") }
        XCTAssertEqual(w.extent, .sentences(3))
        XCTAssertEqual(w.index, WikipediaPagesSource.IndexChoice.none)
        XCTAssertEqual(w.threads, 3)
        XCTAssertEqual(w.minChars, 20)
        XCTAssertTrue(SourceCatalog.make(wikipedia.source) is WikipediaPagesSource)

        let wiktionary = try load("""
            kind = "wiktionary"
            input = "w.jsonl"
            languages = ["English", "fr"]
            glosses = "all"
            """)
        guard case .wiktionary(let k) = wiktionary.source.options else { return XCTFail() }
        XCTAssertEqual(k.languages, ["English", "fr"])
        XCTAssertEqual(k.glossJoin, .all)
        XCTAssertEqual(wiktionary.source.minChars, 1, "dictionaries keep short glosses by default")

        let csv = try load("""
            kind = "csv"
            input = "t.csv"
            delimiter = "tab"
            body_column = 2
            title_column = "word"
            """)
        guard case .csv(let c) = csv.source.options else { return XCTFail() }
        XCTAssertEqual(c.delimiter, "\t")
        XCTAssertEqual(c.body, .index(2))
        XCTAssertEqual(c.title, .name("word"))

        let jsonl = try load("""
            kind = "jsonl"
            input = "x.jsonl"
            body_field = "senses.0.glosses.0"
            """)
        guard case .jsonl(let j) = jsonl.source.options else { return XCTFail() }
        XCTAssertEqual(j.body.components, ["senses", "0", "glosses", "0"])
    }

    func testKeysOfAnotherKindAndBadValuesAreErrorsNamingTheKey() {
        let foreign = loadError("""
            kind = "wordnet"
            input = "dict"
            languages = ["English"]
            """)
        XCTAssertEqual(foreign?.position, "source.languages")
        XCTAssertTrue(foreign?.hint?.contains("gloss_only") == true, "\(String(describing: foreign))")

        let extent = loadError("""
            kind = "wikipedia"
            input = "d.xml"
            extent = "first_paragrap"
            """)
        XCTAssertEqual(extent?.position, "source.extent")
        XCTAssertTrue(extent?.message.contains("did you mean 'first_paragraph'") == true, "\(String(describing: extent))")

        let named = loadError("""
            kind = "csv"
            input = "t.csv"
            header = false
            body_column = "text"
            """)
        XCTAssertEqual(named?.position, "source.body_column")

        let path = loadError("""
            kind = "jsonl"
            input = "x.jsonl"
            body_field = "a..b"
            """)
        XCTAssertEqual(path?.position, "source.body_field")

        let delimiter = loadError("""
            kind = "dictionary-table"
            input = "t.tsv"
            delimiter = "||"
            """)
        XCTAssertEqual(delimiter?.position, "source.delimiter")

        let unknown = loadError("""
            kind = "wikipedia-pages"
            input = "d.xml"
            """)
        XCTAssertEqual(unknown?.position, "source.kind")
        XCTAssertTrue(unknown?.hint?.contains("wikipedia, wikipedia-abstracts, wiktionary") == true, "\(String(describing: unknown))")
    }

    func testEveryShippedJobLoads() throws {
        let jobs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("jobs").path
        let names = JobLoader.listNames(in: jobs)
        XCTAssertGreaterThanOrEqual(names.count, 11)
        var kinds: Set<String> = []
        for name in names {
            let job = try JobLoader.load(path: "\(jobs)/\(name).toml")
            kinds.insert(job.source.kind)
            XCTAssertEqual(SourceCatalog.make(job.source).kind, job.source.kind, name)
        }
        XCTAssertEqual(kinds, Set(SourceCatalog.kinds), "a ready job for every kind")
    }
}
