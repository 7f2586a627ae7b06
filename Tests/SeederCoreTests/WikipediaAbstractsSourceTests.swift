import CZlib
import Foundation
import XCTest
@testable import SeederCore

/// The legacy abstracts dump source, end to end over real and damaged files.
final class WikipediaAbstractsSourceTests: XCTestCase {
    // MARK: Helpers

    /// Everything one read delivered, or the error it ended with.
    typealias ReadResult = SourceReadResult

    func read(_ path: String, resumeAfter: Int64 = 0, chunkSize: Int = 50,
              options: WikipediaAbstractsSource.Options = .init()) -> ReadResult {
        var result = ReadResult()
        do {
            try WikipediaAbstractsSource(path: path, options: options)
                .read(resumeAfter: SourceCheckpoint(items: resumeAfter), chunkSize: chunkSize) { result.chunks.append($0) }
        } catch {
            result.error = error
        }
        return result
    }

    /// The bundled real sample (datasets/, the main job's default input), found from this file's location.
    var samplePath: String {
        get throws {
            let path = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("datasets/wikipedia/enwiki-abstract-sample.xml").path
            XCTAssertTrue(FileManager.default.fileExists(atPath: path), "the bundled sample is missing: \(path)")
            return path
        }
    }

    func sampleBytes() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: samplePath)))
    }

    /// A fresh folder, removed after the test.
    func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("abstracts-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// One gzip member holding `bytes` (zlib's deflate with the gzip wrapper).
    func gzipMember(_ bytes: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        XCTAssertEqual(deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                                     Int32(MemoryLayout<z_stream>.size)), Z_OK)
        defer { deflateEnd(&stream) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
        let status = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        XCTAssertEqual(status, Z_STREAM_END)
        return Array(output.prefix(Int(stream.total_out)))
    }

    func assertNamesFile(_ error: SourceError?, _ path: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(error?.file, path, file: file, line: line)
        XCTAssertTrue(error?.description.hasPrefix(path) == true, "\(String(describing: error))", file: file, line: line)
    }

    // MARK: The real sample

    func testRealSampleCountsAndRecords() throws {
        let result = read(try samplePath)
        XCTAssertNil(result.error)
        let skipped = result.skipped
        XCTAssertEqual(result.records.count + skipped.values.reduce(0, +), 368)
        XCTAssertEqual(result.itemsDelivered, 368)
        XCTAssertEqual(result.records.count, 177)
        XCTAssertEqual(skipped[.markup], 181)
        XCTAssertEqual(skipped[.tooShort], 10)
        XCTAssertNil(skipped[.empty])
        XCTAssertTrue(result.failures.isEmpty)

        let first = try XCTUnwrap(result.records.first)
        XCTAssertEqual(first.ordinal, 0)
        XCTAssertEqual(first.title, "Anarchism")
        XCTAssertEqual(first.url, "https://en.wikipedia.org/wiki/Anarchism")
        XCTAssertEqual(first.id, first.url)
        XCTAssertEqual(first.category, "")
        XCTAssertTrue(first.body.hasPrefix("Anarchism is an anti-authoritarian political philosophy"))
        XCTAssertTrue(first.body.hasSuffix("free associations."))

        let last = try XCTUnwrap(result.records.last)
        XCTAssertEqual(last.title, "Associative property")
        XCTAssertEqual(last.ordinal, 363)
        // Debris (doc 1 "Autism": `| duration = Long-term`) is skipped; its neighbours are records.
        XCTAssertEqual(result.records.prefix(3).map(\.ordinal), [0, 2, 4])

        for record in result.records {
            for debris in ["|", "{{", "}}", "{|", "==", "thumb|"] {
                XCTAssertFalse(record.body.hasPrefix(debris), "\(record.title): \(record.body)")
            }
            XCTAssertGreaterThanOrEqual(record.body.unicodeScalars.count, 20)
            XCTAssertFalse(record.title.hasPrefix("Wikipedia:"))
            XCTAssertEqual(record.body, record.body.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // Prose with stray markup inside is kept.
        XCTAssertTrue(result.records.contains { $0.title == "Aphrodite" })
        XCTAssertEqual(Set(result.records.map(\.ordinal)).count, result.records.count)
    }

    func testDebrisFilterOnExamples() {
        func isDebris(_ text: String) -> Bool {
            Array(text.utf8).withUnsafeBufferPointer { AbstractDebrisFilter.isDebris($0) }
        }
        for debris in ["| duration        = Long-term", "}}", "}} ||}} |}}", "][][][][][][][]", "==Events==", "* disco",
                       "thumb|right|300px|The Rutherford–Bohr model", "right|frame|Physiographic regions in Alabama",
                       "thumbnail|300px|The structure", "Tarkovsky (surname)}}", "Abacı|the medieval book|Liber Abaci}}",
                       ", genitive", "{{Infobox person", "{| class=\"wikitable\"", "! Year", "[[File:Foo.jpg|thumb]]",
                       "<ref>x</ref>", "https://www.nationalgeographic.", "$107.316 billion (nominal, 2018 est.",
                       "250px|A caption of an image"] {
            XCTAssertTrue(isDebris(debris), debris)
        }
        for prose in ["Anarchism is an anti-authoritarian political philosophy.",
                      "Aphrodite ;  Aphrodítē}} is an ancient Greek goddess associated with love. She is",
                      "Agriculture is the science and art of cultivating plants and livestock. |year=1999 |publisher=X",
                      "(Kyūjitai: 合氣道)  is a modern Japanese martial art", "1984 is a dystopian novel by George Orwell.",
                      "\"America the Beautiful\" is an American patriotic song.", "Ada may refer to:",
                      "Αθήνα είναι η πρωτεύουσα της Ελλάδας.", "東京都は日本の首都である。", "Right-wing politics is a spectrum."] {
            XCTAssertFalse(isDebris(prose), prose)
        }
    }

    func testEntitiesFieldsAndPolicySkips() throws {
        let dir = try scratchDirectory()
        let path = dir + "/small.xml"
        try write("""
        <?xml version="1.0" encoding="utf-8"?>
        <feed>
        <doc><title>Wikipedia: AT&amp;T</title><url>https://en.wikipedia.org/wiki/AT%26T</url>\
        <abstract>AT&amp;T Inc. is an American &lt;multinational&gt; company &#233;&#x263A; with <![CDATA[a <b>CDATA</b> part]]>.</abstract>\
        <links><sublink linktype="nav"><anchor>History</anchor><link>https://x/#History</link></sublink></links></doc>
        <doc><title>Wikipedia: Empty</title><url>https://x/Empty</url><abstract /></doc>
        <doc><title>Wikipedia: Blank</title><url>https://x/Blank</url><abstract> \u{A0}\n </abstract><links/></doc>
        <doc><url>https://x/NoTitle</url><abstract>This doc has an abstract but no title at all.</abstract></doc>
        <doc><title>Wikipedia: No URL</title><abstract>  An abstract without any URL, long enough to keep.  </abstract></doc>
        <doc><title>Wikipedia: Short</title><url>https://x/Short</url><abstract>Too short.</abstract></doc>
        <doc><title>Wikipedia: Debris</title><url>https://x/Debris</url><abstract>| birth_place = Ulm, Germany</abstract></doc>
        <doc><title>Wikipedia: Long</title><url>https://x/Long</url><abstract>\(String(repeating: "é", count: 101))</abstract></doc>
        <notadoc><title>ignored</title></notadoc>
        </feed>
        """, to: path)
        let result = read(path, chunkSize: 2, options: .init(minChars: 20, maxChars: 100))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.records.count, 2)
        let att = try XCTUnwrap(result.records.first)
        XCTAssertEqual(att.title, "AT&T")
        XCTAssertEqual(att.id, "https://en.wikipedia.org/wiki/AT%26T")
        XCTAssertEqual(att.body, "AT&T Inc. is an American <multinational> company é☺ with a <b>CDATA</b> part.")
        let noURL = result.records[1]
        XCTAssertEqual(noURL.id, "No URL")
        XCTAssertEqual(noURL.url, "")
        XCTAssertEqual(noURL.body, "An abstract without any URL, long enough to keep.")
        XCTAssertEqual(noURL.ordinal, 4)
        XCTAssertEqual(result.skipped, [.empty: 2, .malformed: 1, .tooShort: 1, .markup: 1, .tooLong: 1])
        XCTAssertEqual(result.itemsDelivered, 8)
        XCTAssertEqual(result.failures.map(\.reason), [.malformed, .tooLong])
        XCTAssertEqual(result.failures.first?.recordID, "https://x/NoTitle")
        XCTAssertEqual(result.failures.first?.ordinal, 3)
        XCTAssertEqual(result.failures.last?.recordID, "https://x/Long")
        XCTAssertTrue(result.failures.last?.detail.contains("max_chars 100") == true)
    }

    // MARK: Compression

    func testSameRecordsFromPlainGzipAndMultiMemberGzip() throws {
        let dir = try scratchDirectory()
        let bytes = try sampleBytes()
        let plain = read(try samplePath)

        let single = dir + "/sample.xml.gz"
        try write(try gzipMember(bytes), to: single)
        // Split inside a doc on purpose: members are byte ranges, not XML units.
        let half = bytes.count / 2 + 7
        let multi = dir + "/multi.xml.gz"
        try write(try gzipMember(Array(bytes[..<half])) + gzipMember(Array(bytes[half...])), to: multi)
        let padded = dir + "/padded.xml.gz"
        try write(try gzipMember(bytes) + [UInt8](repeating: 0, count: 1000), to: padded)
        // Magic bytes decide, not the name.
        let misnamed = dir + "/really-gzip.xml"
        try write(try gzipMember(bytes), to: misnamed)

        for path in [single, multi, padded, misnamed] {
            let result = read(path)
            XCTAssertNil(result.error, path)
            XCTAssertEqual(result.records, plain.records, path)
            XCTAssertEqual(result.skipped, plain.skipped, path)
            XCTAssertEqual(result.chunks.map(\.checkpoint), plain.chunks.map(\.checkpoint), path)
            let size = try XCTUnwrap(WikipediaAbstractsSource(path: path).inputSize)
            XCTAssertEqual(result.chunks.last?.inputBytesRead, size, path)
        }
    }

    func testTruncatedGzipDeliversCompleteDocsThenFails() throws {
        let dir = try scratchDirectory()
        let bytes = try sampleBytes()
        let gz = try gzipMember(bytes)
        let path = dir + "/cut.xml.gz"
        let cut = gz.count * 2 / 5
        try write(Array(gz[..<cut]), to: path)

        // What the cut file still holds: every </doc> in the bytes that can be inflated.
        let reader = try GzipByteReader(source: try FileByteReader(path: path), path: path)
        var inflated: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        XCTAssertThrowsError(try {
            while true {
                let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                if n == 0 { break }
                inflated += buffer.prefix(n)
            }
        }())
        let completeDocs = String(decoding: inflated, as: UTF8.self).components(separatedBy: "</doc>").count - 1
        XCTAssertGreaterThan(completeDocs, 100)

        let result = read(path, chunkSize: 10)
        let error = try XCTUnwrap(result.sourceError, "\(String(describing: result.error))")
        XCTAssertEqual(error.kind, .corruptCompression)
        XCTAssertEqual(error.message, "gzip stream ends early (truncated download?)")
        XCTAssertEqual(error.position, "byte \(cut) of the compressed file")
        XCTAssertTrue(error.hint?.contains("re-download") == true)
        assertNamesFile(error, path)
        XCTAssertEqual(result.itemsDelivered, Int64(completeDocs))
        let full = read(try samplePath)
        XCTAssertEqual(result.records, full.records.filter { $0.ordinal < completeDocs })
    }

    func testCorruptGzipNamesZlibMessageAndOffset() throws {
        let dir = try scratchDirectory()
        var gz = try gzipMember(try sampleBytes())
        for i in 2000..<2100 { gz[i] ^= 0x5A }
        let path = dir + "/corrupt.xml.gz"
        try write(gz, to: path)
        let error = try XCTUnwrap(read(path).sourceError)
        XCTAssertEqual(error.kind, .corruptCompression)
        XCTAssertTrue(error.message.hasPrefix("corrupt gzip data in member 1: "), error.message)
        XCTAssertTrue(error.position?.hasSuffix("of the compressed file") == true)
        assertNamesFile(error, path)

        // Trailing bytes that are neither padding nor a gzip member.
        let garbage = dir + "/garbage.xml.gz"
        try write(try gzipMember(try sampleBytes()) + Array("not gzip".utf8), to: garbage)
        let trailing = read(garbage)
        XCTAssertEqual(trailing.sourceError?.kind, .corruptCompression)
        XCTAssertTrue(trailing.sourceError?.message.contains("member 2") == true, "\(String(describing: trailing.error))")
        XCTAssertEqual(trailing.itemsDelivered, 368)
    }

    func testBzip2SingleAndMultiStreamAndTruncated() throws {
        let dir = try scratchDirectory()
        let bytes = try sampleBytes()
        // One stream, then the same text cut into three streams back to back (what pbzip2 and multistream dumps write).
        let single = dir + "/single.xml.bz2"
        try write(try bzip2Compress(bytes), to: single)
        let one = read(single)
        XCTAssertNil(one.error)
        XCTAssertEqual(one.itemsDelivered, 368)
        let multi = dir + "/multi.xml.bz2"
        let third = bytes.count / 3
        try write(try bzip2Compress(Array(bytes[..<third])) + bzip2Compress(Array(bytes[third..<(2 * third)]))
                  + bzip2Compress(Array(bytes[(2 * third)...])), to: multi)
        let three = read(multi)
        XCTAssertNil(three.error)
        XCTAssertEqual(three.records, one.records)

        // Cut short: every complete doc before the cut is delivered, then a clear error naming the stream.
        let cut = dir + "/cut.xml.bz2"
        let compressed = try bzip2Compress(bytes)
        // (bzip2 hands out a block only once it is whole: cut inside the second of the sample's two blocks.)
        try write(Array(compressed[..<(compressed.count * 9 / 10)]), to: cut)
        let truncated = read(cut)
        let error = try XCTUnwrap(truncated.sourceError)
        XCTAssertEqual(error.kind, .corruptCompression)
        XCTAssertTrue(error.message.contains("ends early"), error.message)
        assertNamesFile(error, cut)
        XCTAssertGreaterThan(truncated.itemsDelivered, 100)
        XCTAssertLessThan(truncated.itemsDelivered, 368)

        // Trailing bytes that are not another stream.
        let garbage = dir + "/garbage.xml.bz2"
        try write(compressed + Array("not bzip2 at all".utf8), to: garbage)
        let trailing = read(garbage)
        XCTAssertEqual(trailing.sourceError?.kind, .corruptCompression)
        XCTAssertTrue(trailing.sourceError?.message.contains("trailing garbage") == true, "\(String(describing: trailing.error))")
        XCTAssertEqual(trailing.itemsDelivered, 368)
    }

    // MARK: Chunks and resume

    func testChunkCheckpoints() throws {
        let path = try samplePath
        let result = read(path, chunkSize: 10)
        XCTAssertNil(result.error)
        var previous: Int64 = 0
        var lastBytes: Int64 = 0
        for (index, chunk) in result.chunks.enumerated() {
            XCTAssertFalse(chunk.isReplay)
            let items = chunk.records.count + chunk.skipped.values.reduce(0, +)
            XCTAssertEqual(Int64(items), chunk.checkpoint.items - previous, "chunk \(index)")
            if index < result.chunks.count - 1 {
                XCTAssertEqual(chunk.records.count, 10)
                // A chunk ends right after its last record; skips after it belong to the next chunk.
                XCTAssertEqual(chunk.checkpoint.items, (chunk.records.last?.ordinal ?? -2) + 1)
            } else {
                XCTAssertLessThanOrEqual(chunk.records.count, 10)
                XCTAssertEqual(chunk.checkpoint.items, 368)
            }
            XCTAssertTrue(chunk.records.allSatisfy { $0.ordinal >= previous && $0.ordinal < chunk.checkpoint.items })
            XCTAssertGreaterThanOrEqual(chunk.inputBytesRead, lastBytes)
            previous = chunk.checkpoint.items
            lastBytes = chunk.inputBytesRead
        }
        XCTAssertEqual(lastBytes, try XCTUnwrap(WikipediaAbstractsSource(path: path).inputSize))
        XCTAssertEqual(result.chunks.count, 18) // 177 records in chunks of 10
    }

    func testResumeReplaysExactlyUpToTheCheckpoint() throws {
        let path = try samplePath
        let full = read(path, chunkSize: 7)
        XCTAssertNil(full.error)
        for k: Int64 in [0, 1, 2, 3, 50, 100, 364, 367, 368] {
            let resumed = read(path, resumeAfter: k, chunkSize: 7)
            XCTAssertNil(resumed.error, "k=\(k)")
            XCTAssertEqual(resumed.replayRecords, full.records.filter { $0.ordinal < k }, "k=\(k)")
            XCTAssertEqual(resumed.normalRecords, full.records.filter { $0.ordinal >= k }, "k=\(k)")
            let replay = resumed.chunks.filter(\.isReplay)
            XCTAssertTrue(replay.allSatisfy { $0.skipped.isEmpty && $0.failures.isEmpty }, "k=\(k)")
            XCTAssertTrue(replay.allSatisfy { $0.records.count <= 7 })
            if k > 0 {
                XCTAssertEqual(replay.last?.checkpoint.items, k, "k=\(k)")
                // Replay chunks come first, then normal ones.
                let firstNormal = resumed.chunks.firstIndex { !$0.isReplay } ?? resumed.chunks.count
                XCTAssertEqual(firstNormal, replay.count)
            } else {
                XCTAssertTrue(replay.isEmpty)
            }
            let normalItems = resumed.chunks.filter { !$0.isReplay }
                .reduce(0) { $0 + $1.records.count + $1.skipped.values.reduce(0, +) }
            XCTAssertEqual(Int64(normalItems), 368 - k, "k=\(k)")
            XCTAssertEqual(resumed.itemsDelivered, 368)
        }
    }

    func testResumeBeyondTheEndOfTheFileFails() throws {
        let path = try samplePath
        let result = read(path, resumeAfter: 500)
        XCTAssertEqual(result.replayRecords.count, 177)
        XCTAssertEqual(result.sourceError?.kind, .wrongFormat)
        XCTAssertTrue(result.sourceError?.message.contains("only 368 docs") == true)
    }

    func testDeliverThrowingStopsTheRead() throws {
        struct Stop: Error {}
        var delivered = 0
        XCTAssertThrowsError(try WikipediaAbstractsSource(path: try samplePath).read(resumeAfter: .start, chunkSize: 5) { _ in
            delivered += 1
            if delivered == 3 { throw Stop() }
        }) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(delivered, 3)

        // Also from a gzip file, whose inflating runs on a thread of its own.
        let dir = try scratchDirectory()
        let gz = dir + "/s.xml.gz"
        try write(try gzipMember(try sampleBytes()), to: gz)
        delivered = 0
        XCTAssertThrowsError(try WikipediaAbstractsSource(path: gz).read(resumeAfter: .start, chunkSize: 5) { _ in
            delivered += 1
            throw Stop()
        }) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(delivered, 1)
    }

    // MARK: Bad input

    func testTruncatedXMLInsideADoc() throws {
        let dir = try scratchDirectory()
        let text = String(decoding: try sampleBytes(), as: UTF8.self)
        // Cut in the middle of the 11th doc's links.
        var cutIndex = text.startIndex
        for _ in 0..<10 { cutIndex = text.range(of: "</doc>", range: cutIndex..<text.endIndex)!.upperBound }
        let linksOf11th = text.range(of: "<sublink", range: cutIndex..<text.endIndex)!.upperBound
        let path = dir + "/cut.xml"
        try write(String(text[..<linksOf11th]), to: path)
        let result = read(path, chunkSize: 3)
        let error = try XCTUnwrap(result.sourceError, "\(String(describing: result.error))")
        XCTAssertEqual(error.kind, .malformedDocument)
        XCTAssertEqual(error.message, "document ends inside <doc> #11 (truncated?)")
        XCTAssertTrue(error.position?.hasPrefix("line ") == true && error.position?.contains(", column ") == true)
        assertNamesFile(error, path)
        XCTAssertEqual(result.itemsDelivered, 10)
        XCTAssertEqual(result.records.map(\.ordinal), [0, 2, 4, 5, 8, 9])

        // Cut between two docs.
        let between = dir + "/between.xml"
        try write(String(text[..<cutIndex]) + "\n", to: between)
        let result2 = read(between)
        XCTAssertEqual(result2.sourceError?.kind, .malformedDocument)
        XCTAssertEqual(result2.sourceError?.message, "document ends before </feed>, after 10 docs (truncated?)")
        XCTAssertEqual(result2.itemsDelivered, 10)
    }

    func testBrokenXMLReportsLibxml2MessageWithLineAndColumn() throws {
        let dir = try scratchDirectory()
        let path = dir + "/broken.xml"
        try write("""
        <feed>
        <doc><title>Wikipedia: One</title><url>https://x/1</url><abstract>The first abstract is fine and long enough.</abstract></doc>
        <doc><title>Wikipedia: Two</title><url>https://x/2</url><abstract>The second one <is broken.</abstract></doc>
        </feed>
        """, to: path)
        let result = read(path)
        let error = try XCTUnwrap(result.sourceError)
        XCTAssertEqual(error.kind, .malformedDocument)
        XCTAssertEqual(error.position?.hasPrefix("line 3, column "), true, "\(error)")
        XCTAssertTrue(error.message.hasSuffix("(in <doc> #2)"), error.message)
        assertNamesFile(error, path)
        XCTAssertEqual(result.records.map(\.title), ["One"])
    }

    func testNotXMLIsWrongFormat() throws {
        let dir = try scratchDirectory()
        let png = dir + "/image.xml"
        try write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0xFF, 0xD8], to: png)
        let text = dir + "/notes.xml"
        try write("These are just some notes,\nnot an abstracts dump.\n", to: text)
        let html = dir + "/page.xml.gz"
        try write(try gzipMember(Array("<html><body><p>Hello</p></body></html>".utf8)), to: html)
        let json = dir + "/data.xml"
        try write("{\"feed\": []}", to: json)

        for path in [png, text, html, json] {
            let result = read(path)
            let error = try XCTUnwrap(result.sourceError, path)
            XCTAssertEqual(error.kind, .wrongFormat, "\(error)")
            XCTAssertTrue(error.position?.hasPrefix("line 1, column ") == true, "\(error)")
            XCTAssertTrue(error.hint?.contains("<feed>") == true)
            assertNamesFile(error, path)
            XCTAssertTrue(result.records.isEmpty)
        }
        XCTAssertEqual(read(html).sourceError?.message, "the root element is <html>, not <feed>")
    }

    func testInvalidUTF8SkipsOnlyTheAffectedDoc() throws {
        let dir = try scratchDirectory()
        var bytes = try sampleBytes()
        // Byte offsets, not String indices: the bytes stop being valid UTF-8 after the first insertion.
        func insert(_ junk: [UInt8], after marker: String, occurrence: Int = 0) {
            let needle = Array(marker.utf8)
            var seen = 0
            for start in 0...(bytes.count - needle.count) where bytes[start] == needle[0] && Array(bytes[start..<(start + needle.count)]) == needle {
                if seen == occurrence {
                    bytes.insert(contentsOf: junk, at: start + needle.count)
                    return
                }
                seen += 1
            }
            XCTFail("marker not found: \(marker)")
        }
        insert([0xFF, 0xFE], after: "<abstract>Anarchism is an anti-")        // doc 0
        insert([0xE2, 0x82], after: "<abstract>Albedo")                         // doc 2: a cut sequence
        insert([0xC0, 0x80], after: "<anchor>Etymology")                        // doc 0's links again: elided
        insert([0xED, 0xA0, 0x80], after: "<anchor>", occurrence: 40)           // a surrogate in some doc's links
        let path = dir + "/bad-utf8.xml"
        try write(bytes, to: path)

        let full = read(try samplePath)
        let result = read(path)
        XCTAssertNil(result.error)
        XCTAssertEqual(result.skipped[.invalidUTF8], 2)
        XCTAssertEqual(result.records, full.records.filter { $0.ordinal != 0 && $0.ordinal != 2 })
        XCTAssertEqual(result.failures.map(\.ordinal), [0, 2])
        XCTAssertEqual(result.failures.map(\.recordID), ["https://en.wikipedia.org/wiki/Anarchism", "https://en.wikipedia.org/wiki/Albedo"])
        XCTAssertTrue(result.failures.allSatisfy { $0.reason == .invalidUTF8 && $0.detail.contains("U+FFFD") })
    }

    func testHugeAbstractIsSkippedWithoutBeingHeld() throws {
        let dir = try scratchDirectory()
        let path = dir + "/huge.xml"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.write(Data("<feed>\n<doc><title>Wikipedia: Huge</title><url>https://x/Huge</url><abstract>".utf8))
        let piece = Data(String(repeating: "All work and no play makes Jack a dull boy; ", count: 1 << 14).utf8) // ~720 KB
        var written = 0
        while written < 50_000_000 {
            handle.write(piece)
            written += piece.count
        }
        handle.write(Data("""
        </abstract></doc>
        <doc><title>Wikipedia: After</title><url>https://x/After</url><abstract>The doc after the huge one is read normally.</abstract></doc>
        </feed>
        """.utf8))
        try handle.close()

        let before = peakResidentBytes()
        let result = read(path)
        let growth = peakResidentBytes() - before
        XCTAssertNil(result.error)
        XCTAssertEqual(result.skipped, [.tooLong: 1])
        XCTAssertEqual(result.failures.first?.recordID, "https://x/Huge")
        XCTAssertEqual(result.failures.first?.reason, .tooLong)
        XCTAssertEqual(result.records.map(\.title), ["After"])
        XCTAssertLessThan(growth, 30_000_000, "peak RSS grew by \(growth) bytes")
    }

    func peakResidentBytes() -> Int {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024 // kilobytes on Linux
        #else
        getrusage(RUSAGE_SELF, &usage)
        return usage.ru_maxrss // bytes on macOS
        #endif
    }

    func testEmptyMissingAndDirectory() throws {
        let dir = try scratchDirectory()
        let empty = dir + "/empty.xml"
        try write([UInt8](), to: empty)
        let emptyError = try XCTUnwrap(read(empty).sourceError)
        XCTAssertEqual(emptyError.kind, .empty)
        XCTAssertEqual(emptyError.message, "the file is empty")
        assertNamesFile(emptyError, empty)

        let emptyGzip = dir + "/empty.xml.gz"
        try write(try gzipMember([]), to: emptyGzip)
        XCTAssertEqual(read(emptyGzip).sourceError?.kind, .empty)

        let missing = dir + "/nope.xml.gz"
        let missingError = try XCTUnwrap(read(missing).sourceError)
        XCTAssertEqual(missingError.kind, .missing)
        XCTAssertEqual(missingError.message, "no such file")
        XCTAssertNotNil(missingError.hint)
        assertNamesFile(missingError, missing)

        let directoryError = try XCTUnwrap(read(dir).sourceError)
        XCTAssertEqual(directoryError.kind, .missing)
        XCTAssertEqual(directoryError.message, "is a directory, not a file")
        assertNamesFile(directoryError, dir)

        XCTAssertNil(WikipediaAbstractsSource(path: missing).inputSize)
        XCTAssertEqual(WikipediaAbstractsSource(path: empty).kind, "wikipedia-abstracts")
    }
}
