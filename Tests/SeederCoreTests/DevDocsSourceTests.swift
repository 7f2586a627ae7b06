import Foundation
import XCTest
@testable import SeederCore

/// The DevDocs docset source over the real axios docset and damaged copies of it.
final class DevDocsSourceTests: XCTestCase {
    typealias ReadResult = SourceReadResult

    func read(_ directory: String, resumeAfter: Int64 = 0, chunkSize: Int = 50,
              options: DevDocsSource.Options = .init()) -> ReadResult {
        var result = ReadResult()
        do {
            try DevDocsSource(directory: directory, options: options)
                .read(resumeAfter: SourceCheckpoint(items: resumeAfter), chunkSize: chunkSize) { result.chunks.append($0) }
        } catch {
            result.error = error
        }
        return result
    }

    var sampleDirectory: String {
        let path = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("datasets/docs/devdocs/axios").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "/db.json"), "the bundled docset is missing: \(path)")
        return path
    }

    /// A copy of the sample docset in a fresh folder (removed after the test), for damaging.
    func sampleCopy() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("devdocs-test-\(UUID().uuidString)/axios").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        for name in ["db.json", "index.json", "meta.json"] {
            try FileManager.default.copyItem(atPath: sampleDirectory + "/" + name, toPath: path + "/" + name)
        }
        return path
    }

    func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    // MARK: The real sample

    func testAxiosSample() throws {
        let result = read(sampleDirectory)
        XCTAssertNil(result.error)
        let records = result.records
        // 16 pages: 15 named by one page-level entry each (one record per page), and "index", named by no entry,
        // split at its only heading.
        XCTAssertEqual(records.count, 16)
        XCTAssertEqual(result.skipped, [:])
        XCTAssertEqual(result.itemsDelivered, 16)
        XCTAssertEqual(records.map(\.title).prefix(4), ["Axios", "Getting Started", "POST Requests", "Request Config"])
        XCTAssertEqual(Set(records.map(\.category)), ["Axios"])
        XCTAssertEqual(records.map(\.ordinal), Array(0..<16))

        let index = try XCTUnwrap(records.first)
        XCTAssertEqual(index.id, "axios/index#axios")
        XCTAssertEqual(index.body, "Promise based HTTP client for the browser and node.js\nAxios is a simple promise based HTTP client for the browser and node.js. Axios provides a simple to use library in a small package with a very extensible interface.")

        let post = try XCTUnwrap(records.first { $0.title == "POST Requests" })
        XCTAssertEqual(post.id, "axios/post_example")
        XCTAssertEqual(post.url, "https://devdocs.io/axios/post_example")
        XCTAssertTrue(post.body.hasPrefix("POST Requests\nHow to perform POST requests with Axios\nPerforming a POST request\nJSON\naxios.post('/user', {\n    firstName: 'Fred',"), post.body)
        XCTAssertTrue(post.body.contains("Performing multiple concurrent requests\nfunction getUserAccount() {\n  return axios.get('/user/12345');\n}"))

        let intro = try XCTUnwrap(records.first { $0.title == "Getting Started" })
        // Inline links and code flow with the sentence; entities in code samples are decoded, not markup.
        XCTAssertTrue(intro.body.contains("Axios is a promise-based HTTP Client for node.js and the browser."))
        XCTAssertTrue(intro.body.contains("Using npm:\n$ npm install axios\n"))
        XCTAssertTrue(intro.body.contains("<script src=\"https://cdn.jsdelivr.net/npm/axios/dist/axios.min.js\"></script>"))
        XCTAssertTrue(intro.body.contains("\nTimeouts\n"), "list items on lines of their own")

        for record in records {
            XCTAssertFalse(record.body.contains("Licensed under the MIT License"), "attribution kept in \(record.id)")
            for tag in ["<p", "<div", "<pre", "<code", "<h1", "<h2", "<a ", "<li", "<ul", "<em", "<strong", "<br", "<table", "<td", "</"]
            where tag != "</" || !record.body.contains("</script>") {
                XCTAssertFalse(record.body.contains(tag), "\(tag) left in \(record.id)")
            }
            XCTAssertFalse(record.body.isEmpty)
        }
        let withAttribution = read(sampleDirectory, options: .init(category: "HTTP", keepAttribution: true)).records
        XCTAssertTrue(withAttribution[1].body.hasSuffix("Licensed under the MIT License.\nhttps://axios-http.com/docs/intro"), withAttribution[1].body)
        XCTAssertEqual(Set(withAttribution.map(\.category)), ["HTTP"])
    }

    func testResume() throws {
        let full = read(sampleDirectory, chunkSize: 3)
        XCTAssertNil(full.error)
        XCTAssertEqual(full.chunks.map(\.checkpoint.items), [3, 6, 9, 12, 15, 16])
        XCTAssertEqual(full.chunks.last?.inputBytesRead, 56598)
        let progress = full.chunks.map(\.inputBytesRead)
        XCTAssertEqual(progress, progress.sorted())
        XCTAssertTrue(progress[0] > 0 && progress[0] < 56598)
        for resumeAfter: Int64 in [1, 6, 16] {
            let resumed = read(sampleDirectory, resumeAfter: resumeAfter, chunkSize: 3)
            XCTAssertNil(resumed.error)
            XCTAssertEqual(resumed.replayRecords, Array(full.records.prefix(Int(resumeAfter))))
            XCTAssertEqual(resumed.normalRecords, Array(full.records.dropFirst(Int(resumeAfter))))
            XCTAssertEqual(resumed.chunks.last { $0.isReplay }?.checkpoint.items, resumeAfter)
            XCTAssertEqual(resumed.skipped, [:])
        }
        let beyond = read(sampleDirectory, resumeAfter: 17)
        XCTAssertEqual(beyond.sourceError?.kind, .wrongFormat)
    }

    // MARK: Damaged docsets

    func testEntriesPointingAtMissingPagesAndAnchors() throws {
        let directory = try sampleCopy()
        var index = try String(contentsOfFile: directory + "/index.json", encoding: .utf8)
        index = index.replacingOccurrences(of: "{\"entries\":[", with: """
        {"entries":[{"name":"Ghost page","path":"ghost#x","type":"axios"},{"name":"Features","path":"intro#features","type":"axios"},\
        {"name":"Lost anchor","path":"intro#nowhere","type":"axios"},{"name":7,"path":"intro"},
        """)
        try write(index, to: directory + "/index.json")
        let result = read(directory)
        XCTAssertNil(result.error)
        // intro is now split: its top ("Getting Started") and the "Features" section.
        XCTAssertEqual(result.records.count, 17)
        let intro = result.records.filter { $0.ordinal == 1 }
        XCTAssertEqual(intro.map(\.title), ["Getting Started", "Features"])
        XCTAssertEqual(intro.map(\.id), ["axios/intro", "axios/intro#features"])
        XCTAssertTrue(intro[0].body.hasSuffix("What is Axios?\nAxios is a promise-based HTTP Client for node.js and the browser. It is isomorphic (= it can run in the browser and node.js with the same codebase). On the server-side it uses the native node.js http module, while on the client (browser) it uses XMLHttpRequest."), intro[0].body)
        XCTAssertTrue(intro[1].body.hasPrefix("Features\nMake XMLHttpRequest from the browser\n"), intro[1].body)
        XCTAssertEqual(result.skipped, [.malformed: 3])
        XCTAssertEqual(result.itemsDelivered, 18) // 16 pages, the entry without a name, the ghost page's entry
        let details = result.failures.map(\.detail)
        XCTAssertEqual(details.count, 3)
        XCTAssertTrue(details.contains { $0.contains("\"Lost anchor\"") && $0.contains("#nowhere") }, "\(details)")
        XCTAssertTrue(details.contains { $0.contains("\"Ghost page\"") && $0.contains("\"ghost\"") }, "\(details)")
        XCTAssertTrue(details.contains { $0.contains("entry #4") && $0.contains("name") }, "\(details)")
        XCTAssertEqual(result.failures.first { $0.detail.contains("Lost anchor") }?.ordinal, 1)
    }

    func testBrokenDBJSONIsAnErrorWithOffsetAfterEarlierPages() throws {
        let directory = try sampleCopy()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/db.json"))
        // Cut inside the fourth page's HTML.
        let text = String(decoding: bytes, as: UTF8.self)
        let cut = text.range(of: "\"translating\":")!.lowerBound.utf16Offset(in: text) + 40
        try Data(bytes.prefix(cut)).write(to: URL(fileURLWithPath: directory + "/db.json"))
        let result = read(directory)
        let error = try XCTUnwrap(result.sourceError)
        XCTAssertEqual(error.kind, .malformedDocument)
        XCTAssertEqual(error.file, directory + "/db.json")
        XCTAssertTrue(error.position?.hasPrefix("byte ") == true, "\(error)")
        XCTAssertTrue(error.message.contains("unterminated string"), error.message)
        XCTAssertEqual(result.records.map(\.title), ["Axios", "Getting Started", "POST Requests", "Request Config"])

        try write("{\"a\": \"<p>one</p>\" \"b\": 1}", to: directory + "/db.json")
        let missingComma = read(directory)
        XCTAssertEqual(missingComma.sourceError?.position, "byte 19")
        XCTAssertEqual(missingComma.records.count, 1)

        try write("[]", to: directory + "/db.json")
        XCTAssertEqual(read(directory).sourceError?.position, "byte 0")
        try write("", to: directory + "/db.json")
        XCTAssertEqual(read(directory).sourceError?.kind, .empty)
        try FileManager.default.removeItem(atPath: directory + "/db.json")
        XCTAssertEqual(read(directory).sourceError?.kind, .missing)
        try write("{\"entries\": [", to: directory + "/index.json")
        XCTAssertEqual(read(directory).sourceError?.position, "byte 13")
    }

    func testOddPagesAreSkippedAndCounted() throws {
        let directory = try sampleCopy()
        try write("""
        {"index": {"html": 1}, "intro": "<h2 id=\\"a\\">A</h2><p>\(String(repeating: "long ", count: 40))</p>",
         "empty": "<div>  </div>", "notes": "<h1>Only</h1><h2>Headings</h2>", "extra": "<p>intro</p><h2>Same</h2>x<h2>Same</h2>y"}
        """, to: directory + "/db.json")
        try write("{\"entries\":[{\"name\":\"Getting Started\",\"path\":\"intro\"},{\"name\":\"Notes\",\"path\":\"notes\"}]}", to: directory + "/index.json")
        let result = read(directory, options: .init(maxChars: 100))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.skipped, [.malformed: 1, .tooLong: 1, .empty: 1])
        XCTAssertEqual(result.itemsDelivered, 5)
        XCTAssertEqual(result.records.map(\.title), ["Notes", "extra", "Same", "Same"])
        XCTAssertEqual(result.records.map(\.id), ["axios/notes", "axios/extra", "axios/extra#same", "axios/extra#same-1"])
        XCTAssertEqual(result.records.map(\.body), ["Only\nHeadings", "intro", "x", "y"])
    }
}
