import Foundation
import XCTest
@testable import SeederCore

/// The pages-articles source on the real samples: the enwiki single-stream sample, the elwikivoyage multistream
/// sample with its index, and multistream dumps built from the enwiki sample's pages.
final class WikipediaPagesSourceTests: XCTestCase {
    typealias ReadResult = SourceReadResult

    func read(_ path: String, options: WikipediaPagesSource.Options = .init(), resumeAfter: SourceCheckpoint = .start,
              chunkSize: Int = 25) -> ReadResult {
        var result = ReadResult()
        do {
            try WikipediaPagesSource(path: path, options: options).read(resumeAfter: resumeAfter, chunkSize: chunkSize) {
                result.chunks.append($0)
            }
        } catch {
            result.error = error
        }
        return result
    }

    static let datasets = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("datasets/wikipedia")
    var enwikiSample: String { Self.datasets.appendingPathComponent("enwiki-pages-articles-sample.xml.bz2").path }
    var multistreamSample: String { Self.datasets.appendingPathComponent("multistream/pages-articles-p2566p2583.multistream.xml.bz2").path }

    func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pages-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// The enwiki sample as a multistream dump with its index, `perStream` pages a stream.
    func enwikiMultistream(perStream: Int = 20) throws -> (dump: String, index: String, generator: MultistreamDumpGenerator, offsets: [Int64]) {
        let dir = try scratch()
        let generator = try MultistreamDumpGenerator(samplePath: enwikiSample)
        let dump = dir + "/enwiki-test-pages-articles-multistream.xml.bz2"
        let index = dir + "/enwiki-test-pages-articles-multistream-index.txt.bz2"
        let offsets = try generator.write(pages: generator.pages, pagesPerStream: perStream, to: dump, indexPath: index)
        return (dump, index, generator, offsets)
    }

    // MARK: The real samples

    func testEnwikiSampleYieldsItsArticlesWithEveryRedirectSkipped() throws {
        let result = read(enwikiSample)
        XCTAssertNil(result.error)
        XCTAssertEqual(result.itemsDelivered, 206)
        XCTAssertEqual(result.skipped[.redirect], 100)
        let accounted = result.records.count + result.skipped.values.reduce(0, +)
        XCTAssertEqual(accounted, 206, "every page is a record or a counted skip: \(result.skipped)")
        XCTAssertGreaterThan(result.records.count, 95)

        let anarchism = try XCTUnwrap(result.records.first { $0.title == "Anarchism" })
        XCTAssertTrue(anarchism.body.hasPrefix("Anarchism is"), anarchism.body)
        XCTAssertEqual(anarchism.id, "12")
        XCTAssertEqual(anarchism.url, "https://en.wikipedia.org/wiki/Anarchism")
        XCTAssertTrue(anarchism.category.split(separator: "|").contains("Anarchism"), anarchism.category)

        for record in result.records {
            for debris in ["{{", "}}", "[[", "]]", "<ref", "'''", "{|", "|}"] {
                XCTAssertFalse(record.body.contains(debris), "“\(record.title)” holds \(debris): \(record.body.prefix(300))")
            }
            XCTAssertFalse(record.body.split(separator: "\n").contains { $0.hasPrefix("|") || $0.hasPrefix("!") }, record.title)
        }
        // Ordinals are the pages' positions in the dump; ids are unique.
        XCTAssertEqual(Set(result.records.map(\.id)).count, result.records.count)
        XCTAssertEqual(result.records.map(\.ordinal), result.records.map(\.ordinal).sorted())
    }

    func testMultistreamSampleWithItsIndexReadsLikeWithoutIt() throws {
        let indexed = read(multistreamSample, options: .init(minChars: 1))
        XCTAssertNil(indexed.error)
        XCTAssertNotNil(indexed.chunks.last?.checkpoint.stream, "read with the index: checkpoints name streams")
        let plain = read(multistreamSample, options: .init(minChars: 1, index: .none))
        XCTAssertNil(plain.error)
        XCTAssertNil(plain.chunks.last?.checkpoint.stream)
        XCTAssertEqual(indexed.itemsDelivered, 17)
        XCTAssertEqual(indexed.records, plain.records)
        XCTAssertEqual(indexed.skipped, plain.skipped)
        XCTAssertGreaterThan(indexed.records.count, 0)
        // elwikivoyage (a test wiki): Greek titles, URLs from its own siteinfo, percent-encoded.
        XCTAssertTrue(indexed.records.allSatisfy { $0.url.hasPrefix("http://localhost/elwv/index.php/%CE") }, "\(indexed.records.map(\.url))")
    }

    func testMultistreamIsReadInParallelInDumpOrderAndEqualsTheSequentialRead() throws {
        let built = try enwikiMultistream(perStream: 7)
        let sequential = read(built.dump, options: .init(index: .none))
        XCTAssertNil(sequential.error)
        for threads in [1, 2, 4] {
            let parallel = read(built.dump, options: .init(threads: threads))
            XCTAssertNil(parallel.error)
            XCTAssertEqual(parallel.records, sequential.records, "threads \(threads)")
            XCTAssertEqual(parallel.skipped, sequential.skipped)
            XCTAssertEqual(parallel.itemsDelivered, 206)
        }
        // The plain single-stream sample gives the same records again.
        XCTAssertEqual(read(enwikiSample).records, sequential.records)
    }

    func testResumeSeeksToTheCheckpointsStream() throws {
        let built = try enwikiMultistream(perStream: 20)
        let full = read(built.dump, chunkSize: 10)
        XCTAssertNil(full.error)
        for chunk in full.chunks.dropLast() where chunk.checkpoint.items > 0 {
            let checkpoint = chunk.checkpoint
            let stream = try XCTUnwrap(checkpoint.stream)
            XCTAssertTrue(built.offsets.contains(stream), "checkpoint stream \(stream) is one of the dump's streams")
            let resumed = read(built.dump, resumeAfter: checkpoint, chunkSize: 10)
            XCTAssertNil(resumed.error)
            XCTAssertFalse(resumed.chunks.contains { $0.isReplay }, "a seek, not a replay")
            let tail = full.records.filter { $0.ordinal >= checkpoint.items }
            XCTAssertEqual(resumed.records, tail, "resume after \(checkpoint)")
            XCTAssertEqual(resumed.itemsDelivered, 206)
        }
        // A checkpoint that the index does not place where it says is refused.
        var wrong = try XCTUnwrap(full.chunks.dropFirst(3).first?.checkpoint)
        wrong.stream = built.offsets[0]
        wrong.streamItems = 3
        XCTAssertEqual(read(built.dump, resumeAfter: wrong).sourceError?.kind, .wrongFormat)
    }

    func testSequentialResumeReplaysToTheCheckpoint() throws {
        let full = read(enwikiSample, chunkSize: 10)
        let checkpoint = full.chunks[4].checkpoint
        let resumed = read(enwikiSample, resumeAfter: checkpoint, chunkSize: 10)
        XCTAssertNil(resumed.error)
        XCTAssertEqual(resumed.chunks.filter { !$0.isReplay }.flatMap(\.records), full.records.filter { $0.ordinal >= checkpoint.items })
    }

    // MARK: Bad input

    func testACorruptStreamInTheMiddleIsReportedWithItsOffsetAndTheOthersAreRead() throws {
        let built = try enwikiMultistream(perStream: 20)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: built.dump)))
        // Damage the middle of the fifth page stream's compressed data.
        let damaged = built.offsets[4]
        let middle = Int(damaged + (built.offsets[5] - damaged) / 2)
        for k in 0..<64 { bytes[middle + k] ^= 0x5A }
        try Data(bytes).write(to: URL(fileURLWithPath: built.dump))

        let clean = read(try enwikiMultistream(perStream: 20).dump)
        let result = read(built.dump)
        XCTAssertNil(result.error, "a damaged stream does not stop the read")
        XCTAssertEqual(result.itemsDelivered, 206)
        XCTAssertEqual(result.skipped[.corruptStream], 20)
        let failure = try XCTUnwrap(result.failures.first { $0.reason == .corruptStream })
        XCTAssertEqual(failure.recordID, "stream at byte \(damaged)")
        XCTAssertTrue(failure.detail.contains("20 of its 20 pages lost"), failure.detail)
        // Every page outside the damaged stream is read as from the clean dump.
        let lost = Set(80..<100)
        XCTAssertEqual(result.records, clean.records.filter { !lost.contains(Int($0.ordinal)) })

        // Without the index, the damage stops the read after every page before it.
        let sequential = read(built.dump, options: .init(index: .none))
        XCTAssertEqual(sequential.sourceError?.kind, .corruptCompression)
        XCTAssertTrue(sequential.sourceError?.message.contains("from byte \(damaged)") == true, "\(String(describing: sequential.error))")
        XCTAssertEqual(sequential.records, clean.records.filter { $0.ordinal < 80 })
    }

    func testAnIndexOfAnotherDumpIsRefused() throws {
        let built = try enwikiMultistream(perStream: 20)
        let other = try enwikiMultistream(perStream: 25)
        let result = read(built.dump, options: .init(index: .path(other.index)))
        let error = try XCTUnwrap(result.sourceError)
        XCTAssertEqual(error.kind, .wrongFormat)
        XCTAssertTrue(error.hint?.contains("index") == true, error.description)

        let dir = try scratch()
        let garbage = dir + "/index.txt"
        try "718:2566:Title\nnot an index line\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        let bad = read(built.dump, options: .init(index: .path(garbage)))
        XCTAssertEqual(bad.sourceError?.position, "line 2")
    }

    func testUTF16ExportIsAClearError() throws {
        let dir = try scratch()
        let path = dir + "/export.xml"
        let xml = "<mediawiki><siteinfo><sitename>W</sitename></siteinfo></mediawiki>"
        var bytes: [UInt8] = [0xFF, 0xFE]
        for unit in xml.utf16 { bytes.append(UInt8(unit & 0xFF)); bytes.append(UInt8(unit >> 8)) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = try XCTUnwrap(read(path).sourceError)
        XCTAssertEqual(error.kind, .wrongFormat)
        XCTAssertTrue(error.message.contains("UTF-16"), error.message)
        XCTAssertTrue(error.hint?.contains("iconv") == true)
        XCTAssertEqual(error.file, path)
    }

    func page(_ id: Int, _ title: String, _ text: String, ns: Int = 0) -> String {
        """
          <page>
            <title>\(title)</title>
            <ns>\(ns)</ns>
            <id>\(id)</id>
            <revision>
              <id>\(id * 10)</id>
              <model>wikitext</model>
              <format>text/x-wiki</format>
              <text bytes="\(text.utf8.count)" xml:space="preserve">\(text)</text>
            </revision>
          </page>

        """
    }

    let prose = "'''Topic''' is a subject that has enough words in its first paragraph to count as prose."

    func testAnExportWithoutSiteinfoIsReadWithEnglishNames() throws {
        let dir = try scratch()
        let path = dir + "/export.xml"
        let xml = "<mediawiki xmlns=\"http://www.mediawiki.org/xml/export-0.10/\" version=\"0.10\">\n"
            + page(1, "Topic", prose + "\n[[Category:Subjects]]") + page(2, "Talk:Topic", prose, ns: 1) + "</mediawiki>\n"
        try xml.write(toFile: path, atomically: true, encoding: .utf8)
        let result = read(path)
        XCTAssertNil(result.error)
        XCTAssertEqual(result.records.map(\.title), ["Topic"])
        XCTAssertEqual(result.records.first?.url, "", "no base URL without siteinfo")
        XCTAssertEqual(result.skipped[.notArticle], 1)
    }

    func testWrongRootTruncationAndSkipsByReason() throws {
        let dir = try scratch()
        let notExport = dir + "/feed.xml"
        try "<feed><doc><title>Wikipedia: X</title></doc></feed>".write(toFile: notExport, atomically: true, encoding: .utf8)
        let wrong = try XCTUnwrap(read(notExport).sourceError)
        XCTAssertEqual(wrong.kind, .wrongFormat)
        XCTAssertTrue(wrong.message.contains("<feed>"), wrong.message)

        let head = "<mediawiki>\n<siteinfo><base>https://en.wikipedia.org/wiki/Main_Page</base></siteinfo>\n"
        let pages = page(1, "Topic", prose)
            + page(2, "Lua", "return {}", ns: 828)
            + page(3, "Old", "#REDIRECT [[Topic]]")
            + page(4, "Mercury", "'''Mercury''' may refer to:\n* [[Mercury (planet)]]\n{{disambiguation}}")
            + page(5, "Short", "'''Short''' is.")
            + "  <page>\n    <ns>0</ns>\n    <id>6</id>\n  </page>\n"
            + page(7, "Unbalanced", "{{Infobox thing | name = x\n'''Unbalanced''' starts a template it never closes, then has a sentence of prose.")
            + page(8, "Json", "{}").replacingOccurrences(of: "wikitext", with: "json")
        let truncated = dir + "/truncated.xml"
        try (head + pages + "  <page>\n    <title>Cut</title>").write(toFile: truncated, atomically: true, encoding: .utf8)
        let cut = read(truncated)
        XCTAssertEqual(cut.sourceError?.kind, .malformedDocument)
        XCTAssertTrue(cut.sourceError?.message.contains("<page> #9") == true, "\(String(describing: cut.error))")
        XCTAssertEqual(cut.itemsDelivered, 8, "every complete page before the cut is delivered")
        XCTAssertEqual(cut.skipped[.notArticle], 1)
        XCTAssertEqual(cut.skipped[.redirect], 1)
        XCTAssertEqual(cut.skipped[.disambiguation], 1)
        XCTAssertEqual(cut.skipped[.tooShort], 1)
        XCTAssertEqual(cut.skipped[.malformed], 1)
        XCTAssertEqual(cut.skipped[.notWikitext], 1)
        XCTAssertEqual(cut.failures.map(\.reason), [.malformed])
        XCTAssertTrue(cut.failures[0].detail.contains("page #6"), cut.failures[0].detail)
        XCTAssertEqual(cut.records.map(\.title), ["Topic", "Unbalanced"])
        XCTAssertEqual(cut.records.first?.url, "https://en.wikipedia.org/wiki/Topic")
        for record in cut.records { XCTAssertFalse(record.body.contains("{{") || record.body.contains("|"), record.body) }
    }

    func testAHundredMegabytePageIsSkippedWithoutBeingHeld() throws {
        let dir = try scratch()
        let path = dir + "/huge.xml"
        var xml = Array("<mediawiki>\n<siteinfo></siteinfo>\n".utf8) + Array(page(1, "Before", prose).utf8)
        xml += Array("  <page>\n    <title>Huge</title>\n    <ns>0</ns>\n    <id>2</id>\n    <revision><model>wikitext</model><text xml:space=\"preserve\">".utf8)
        let line = Array("Lorem ipsum dolor sit amet, [[consectetur]] {{adipiscing|elit}} &lt;ref&gt;x&lt;/ref&gt;\n".utf8)
        xml.reserveCapacity(xml.count + 100 << 20 + 4096)
        while xml.count < 100 << 20 { xml += line }
        xml += Array("</text></revision>\n  </page>\n".utf8) + Array(page(3, "After", prose).utf8) + Array("</mediawiki>\n".utf8)
        try Data(xml).write(to: URL(fileURLWithPath: path))
        xml = []
        let result = read(path)
        XCTAssertNil(result.error)
        XCTAssertEqual(result.records.map(\.title), ["Before", "After"])
        XCTAssertEqual(result.skipped[.tooLong], 1)
        let failure = try XCTUnwrap(result.failures.first)
        XCTAssertEqual(failure.recordID, "Huge")
        XCTAssertTrue(failure.detail.contains("max_page_bytes"), failure.detail)
    }
}
