import Foundation
import XCTest
@testable import SeederCore

/// The Markdown/HTML folder source over the real Markdown samples and small folders built in temp directories.
final class DocumentFolderSourceTests: XCTestCase {
    typealias ReadResult = SourceReadResult

    func read(_ path: String, resumeAfter: Int64 = 0, chunkSize: Int = 50,
              options: DocumentFolderSource.Options = .init()) -> ReadResult {
        var result = ReadResult()
        do {
            try DocumentFolderSource(path: path, options: options)
                .read(resumeAfter: SourceCheckpoint(items: resumeAfter), chunkSize: chunkSize) { result.chunks.append($0) }
        } catch {
            result.error = error
        }
        return result
    }

    var sampleFolder: String {
        let path = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("datasets/docs/markdown").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "/maintainers.md"), "the bundled samples are missing: \(path)")
        return path
    }

    /// A fresh folder named `name`, removed after the test.
    func scratchFolder(_ name: String = "docs") throws -> String {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("markdown-test-\(UUID().uuidString)").path
        let path = parent + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: parent) }
        return path
    }

    func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// An independent count: ATX heading lines outside fenced code blocks, and whether text precedes the first one.
    func headingCount(_ text: String) -> (headings: Int, intro: Bool) {
        var fence: String?
        var headings = 0
        var intro = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let open = fence {
                if trimmed.hasPrefix(open) { fence = nil }
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                fence = String(trimmed.prefix(3))
            } else if line.range(of: "^#{1,6}( |$)", options: .regularExpression) != nil {
                headings += 1
                continue
            }
            if headings == 0 && !trimmed.isEmpty { intro = true }
        }
        return (headings, intro)
    }

    // MARK: The real samples

    func testRealMarkdownSamples() throws {
        let files = ["adding-docs.md", "file-scrapers.md", "filter-reference.md", "maintainers.md", "scraper-reference.md"]
        // chunkSize 1: every file yields records, so each chunk is exactly one file.
        let result = read(sampleFolder, chunkSize: 1)
        XCTAssertNil(result.error)
        XCTAssertEqual(result.chunks.count, files.count)
        XCTAssertEqual(result.itemsDelivered, 5)
        for (index, file) in files.enumerated() {
            let text = try String(contentsOfFile: sampleFolder + "/" + file, encoding: .utf8)
            let (headings, intro) = headingCount(text)
            let chunk = result.chunks[index]
            XCTAssertEqual(Set(chunk.records.map { $0.id.split(separator: "#")[0] }), [Substring(file)])
            XCTAssertEqual(chunk.records.count + (chunk.skipped[.empty] ?? 0), headings + (intro ? 1 : 0), file)
            XCTAssertEqual(chunk.records.map(\.ordinal), Array(repeating: Int64(index), count: chunk.records.count))
        }
        XCTAssertEqual(result.skipped, [.empty: 3]) // "## Gnu" (then "### Bash"), and two more headings directly followed by another

        let records = result.records
        XCTAssertEqual(Set(records.map(\.category)), ["markdown"])
        XCTAssertEqual(Set(records.map(\.url)), [""])
        XCTAssertEqual(records.prefix(5).map(\.title), ["adding-docs", "File Scraper Reference", "Dart", "date-fns", "Django"])
        XCTAssertEqual(records.prefix(3).map(\.id), ["adding-docs.md", "file-scrapers.md#file-scraper-reference", "file-scrapers.md#dart"])
        XCTAssertFalse(records.contains { $0.title == "Gnu" })
        XCTAssertTrue(records.contains { $0.id == "file-scrapers.md#python-36" && $0.title == "Python 3.6+" })
        XCTAssertTrue(records.contains { $0.id == "file-scrapers.md#python--36" && $0.title == "Python < 3.6" })
        XCTAssertTrue(records.contains { $0.id == "filter-reference.md#cleanhtmlfilter" && $0.title == "CleanHtmlFilter" })
        XCTAssertTrue(records.contains { $0.id == "maintainers.md#maintainers-guide" && $0.title == "Maintainer's Guide" })

        let adding = records[0]
        XCTAssertTrue(adding.body.hasPrefix("Adding a documentation may look like a daunting task but once you get the hang of it, it's actually quite simple. Don't hesitate to ask for help in Discord if you ever get stuck.\n\nNote: please read the contributing guidelines before submitting a new documentation.\n\n1. Create a subclass of Docs::UrlScraper or Docs::FileScraper in the lib/docs/scrapers/ directory."), adding.body)
        XCTAssertTrue(adding.body.contains("(e.g. my_doc → MyDoc)"), "snake_case is not emphasis")
        XCTAssertTrue(adding.body.contains("\n- A CleanHtml filter whose task is"))

        // A fenced block whose lines start with '#' stays in its section, verbatim.
        let gcc = try XCTUnwrap(records.first { $0.id == "file-scrapers.md#gcc" })
        XCTAssertTrue(gcc.body.contains("\n\n# GCC manual\nmkdir docs/gcc~${VERSION}; \\\ncurl https://gcc.gnu.org/onlinedocs/gcc-$RELEASE/gcc-html.tar.gz | \\\n"), gcc.body)
        XCTAssertTrue(gcc.body.contains("\n# GCC CPP manual\n"))
        let gnuplot = try XCTUnwrap(records.first { $0.id == "file-scrapers.md#gnuplot" })
        XCTAssertTrue(gnuplot.body.contains("\n#  Give the paths to latex and dvips on your system:\n#\n$LATEX = '/Library/TeX/texbin/latex';\t# LaTeX\n"))
        XCTAssertFalse(gnuplot.body.contains("<details>"))

        for record in records {
            for debris in ["](", "**", "```", "<details", "[Discord]"] {
                XCTAssertFalse(record.body.contains(debris), "\(debris) in \(record.id)")
            }
        }
    }

    func testOptions() throws {
        let result = read(sampleFolder, options: .init(category: "DevDocs guides", baseURL: "https://github.com/freeCodeCamp/devdocs/blob/main/docs/",
                                                      prefixPageTitle: true))
        let records = result.records
        XCTAssertEqual(Set(records.map(\.category)), ["DevDocs guides"])
        let dart = try XCTUnwrap(records.first { $0.id == "file-scrapers.md#dart" })
        XCTAssertEqual(dart.title, "File Scraper Reference › Dart")
        XCTAssertEqual(dart.url, "https://github.com/freeCodeCamp/devdocs/blob/main/docs/file-scrapers.md#dart")
        XCTAssertEqual(records.first { $0.id == "file-scrapers.md#file-scraper-reference" }?.title, "File Scraper Reference")
        XCTAssertEqual(records.first { $0.id == "adding-docs.md" }?.url, "https://github.com/freeCodeCamp/devdocs/blob/main/docs/adding-docs.md")
    }

    func testResumeByFiles() throws {
        let full = read(sampleFolder, chunkSize: 10)
        XCTAssertNil(full.error)
        for resumeAfter: Int64 in [2, 5] {
            let resumed = read(sampleFolder, resumeAfter: resumeAfter, chunkSize: 10)
            XCTAssertNil(resumed.error)
            XCTAssertEqual(resumed.replayRecords, full.records.filter { $0.ordinal < resumeAfter })
            XCTAssertEqual(resumed.normalRecords, full.records.filter { $0.ordinal >= resumeAfter })
            XCTAssertEqual(resumed.chunks.last { $0.isReplay }?.checkpoint.items, resumeAfter)
            XCTAssertEqual(resumed.chunks.filter(\.isReplay).reduce(0) { $0 + $1.skipped.count }, 0)
        }
        XCTAssertEqual(read(sampleFolder, resumeAfter: 6).sourceError?.kind, .wrongFormat)
        XCTAssertEqual(full.chunks.last?.inputBytesRead, [4392, 10687, 12268, 9510, 18449].reduce(0, +))
    }

    // MARK: Markdown syntax

    func testMarkdownSyntax() throws {
        let folder = try scratchFolder()
        try write("""
        ---
        title: "The Guide"
        tags: [a, b]
        ---
        Intro with **bold**, *em*, __strong__, _under_, `co*de*`, a [link](http://x.org "t"), a [ref][r], \
        ![an image](i.png), <span class="x">html</span>, <https://auto.link>, &amp; &copy; &#x41; and snake_case_name.

        [r]: http://example.org/ref

        Setext One
        ==========
        text one

        Setext Two
        ----------
        ~~~python title="x"
        # not a heading
        ```
        ~~~

            # indented code, not a heading
            second line

        ## Closing hashes ##
        | Name | Value |
        |------|:-----:|
        | a    | `1|2` |

        # Empty

        ## Repeat
        r1
        ## Repeat
        r2
        <!-- a comment
        spanning lines -->
        after comment
        * * *
        2 * 3 = 6 and *.md files
        """, to: folder + "/guide.md")
        let result = read(folder)
        XCTAssertNil(result.error)
        let records = result.records
        XCTAssertEqual(records.map(\.title), ["The Guide", "Setext One", "Setext Two", "Closing hashes", "Repeat", "Repeat"])
        XCTAssertEqual(records.map(\.id), ["guide.md", "guide.md#setext-one", "guide.md#setext-two", "guide.md#closing-hashes",
                                           "guide.md#repeat", "guide.md#repeat-1"])
        XCTAssertEqual(result.skipped, [.empty: 1])
        XCTAssertEqual(Set(records.map(\.category)), ["docs"])
        XCTAssertEqual(records[0].body, "Intro with bold, em, strong, under, co*de*, a link, a ref, an image, html, https://auto.link, & © A and snake_case_name.")
        XCTAssertEqual(records[1].body, "text one")
        XCTAssertEqual(records[2].body, "# not a heading\n```\n\n# indented code, not a heading\nsecond line")
        XCTAssertEqual(records[3].body, "Name Value\na 1 2")
        XCTAssertEqual(records[5].body, "r2\nafter comment\n2 * 3 = 6 and *.md files")
    }

    func testHTMLFileSplitAtHeadings() throws {
        let folder = try scratchFolder()
        try write("""
        <!DOCTYPE html><html><head><title>Widget manual</title><script>alert(1)</script></head><body>
        <nav><a href="/">Home</a></nav>
        <p>Before any heading.</p>
        <h2 id="install">Installing</h2><p>Run <code>make install</code>.</p><pre>$ make
        $ make install</pre>
        <h2>Using &amp; abusing</h2><ul><li>One</li><li>Two</li></ul>
        <h2>Empty</h2><h2>Last</h2><p>The end.</p>
        </body></html>
        """, to: folder + "/manual.html")
        let records = read(folder, options: .init(prefixPageTitle: true)).records
        XCTAssertEqual(records.map(\.title), ["Widget manual", "Widget manual › Installing", "Widget manual › Using & abusing", "Widget manual › Last"])
        XCTAssertEqual(records.map(\.id), ["manual.html", "manual.html#install", "manual.html#using--abusing", "manual.html#last"])
        XCTAssertEqual(records.map(\.body), ["Before any heading.", "Run make install.\n$ make\n$ make install", "One\nTwo", "The end."])
    }

    // MARK: Folders and bad files

    func testFolderWalkAndBadFiles() throws {
        let folder = try scratchFolder("handbook")
        try write("# B\nb", to: folder + "/b.md")
        try write("# A\na", to: folder + "/sub/a.md")
        try write("# Z\nz", to: folder + "/a.markdown")
        try write("# Hidden\nh", to: folder + "/.hidden.md")
        try write("# Hidden dir\nh", to: folder + "/.git/x.md")
        try write("not a document", to: folder + "/notes.txt")
        try Data([0x23, 0x20, 0x41, 0x0A, 0xFF, 0xFE, 0x41]).write(to: URL(fileURLWithPath: folder + "/bad.md"))
        try write("   \n\n", to: folder + "/blank.md")
        // A folder symlink (a loop) is not followed; a file symlink is.
        try FileManager.default.createSymbolicLink(atPath: folder + "/sub/loop", withDestinationPath: folder)
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.md", withDestinationPath: folder + "/b.md")
        // Over the cap: skipped from its size, never read (a sparse file).
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/huge.md", contents: nil))
        let huge = try XCTUnwrap(FileHandle(forWritingAtPath: folder + "/huge.md"))
        try huge.truncate(atOffset: 65 << 20)
        try huge.close()

        let result = read(folder)
        XCTAssertNil(result.error)
        XCTAssertEqual(result.itemsDelivered, 7) // a.markdown, b.md, bad.md, blank.md, huge.md, link.md, sub/a.md
        XCTAssertEqual(result.records.map(\.id), ["a.markdown#z", "b.md#b", "link.md#b", "sub/a.md#a"])
        XCTAssertEqual(Set(result.records.map(\.category)), ["handbook"])
        XCTAssertEqual(result.records.map(\.ordinal), [0, 1, 5, 6])
        XCTAssertEqual(result.skipped, [.invalidUTF8: 1, .empty: 1, .tooLong: 1])
        let details = result.failures.map(\.detail)
        XCTAssertTrue(details.contains { $0.contains("/bad.md") && $0.contains("not valid UTF-8 (byte 4)") }, "\(details)")
        XCTAssertTrue(details.contains { $0.contains("/huge.md") && $0.contains("68157440 bytes") }, "\(details)")

        let small = read(folder, options: .init(maxFileBytes: 4))
        XCTAssertEqual(small.skipped[.tooLong], 7)
        XCTAssertEqual(small.records, [])

        // A single file is read on its own, named by its folder.
        let single = read(folder + "/sub/a.md")
        XCTAssertEqual(single.records.map(\.id), ["a.md#a"])
        XCTAssertEqual(single.records.first?.category, "sub")

        XCTAssertEqual(read(folder + "/nowhere").sourceError?.kind, .missing)
    }
}

/// Inline Markdown reduction, including inputs built to be slow.
final class MarkdownInlineTests: XCTestCase {
    func testInlineMarkup() {
        XCTAssertEqual(MarkdownInline.plain("***all*** and **a *nested* one** and `` a`b ``"), "all and a nested one and a`b")
        XCTAssertEqual(MarkdownInline.plain("[a [nested] label](http://x/(y)) \\*literal\\* [unclosed"), "a [nested] label *literal* [unclosed")
        XCTAssertEqual(MarkdownInline.plain("x < y > z, a<b, &bogus; &amp;amp; &#0; <!-- c --> done"), "x < y > z, a<b, &bogus; &amp; \u{FFFD}  done")
        XCTAssertEqual(MarkdownInline.plain("__init__ and file_name_here and _real_"), "init and file_name_here and real") // as CommonMark
    }

    func testPathologicalLinesStayFast() {
        let line = String(repeating: "[", count: 200_000) + String(repeating: "`", count: 3) + String(repeating: "*a", count: 100_000)
        let start = Date()
        let plain = MarkdownInline.plain(line)
        XCTAssertTrue(plain.hasPrefix("[[[["))
        XCTAssertLessThan(Date().timeIntervalSince(start), 20, "bounded look-ahead")
        let document = MarkdownDocument(String(repeating: "# h\n", count: 20_000))
        XCTAssertEqual(document.sections.count, 20_001)
    }
}
