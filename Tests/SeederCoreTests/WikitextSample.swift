import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// The pages of `datasets/wikipedia/enwiki-pages-articles-sample.xml.bz2`, decompressed with `/bin/bzip2` and
/// read with Foundation's `XMLParser` (test-only; the real source streams).
struct WikitextSamplePage {
    var title: String
    var namespace: Int
    var isRedirect: Bool
    var text: String
}

enum WikitextSample {
    static let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("datasets/wikipedia/enwiki-pages-articles-sample.xml.bz2").path

    /// Loaded once per test process.
    nonisolated(unsafe) private static var cached: [WikitextSamplePage]?
    private static let lock = NSLock()

    static func pages() throws -> [WikitextSamplePage] {
        lock.lock(); defer { lock.unlock() }
        if let cached { return cached }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bzip2")
        process.arguments = ["-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "WikitextSample", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "bzip2 -dc \(path) failed"])
        }
        let collector = PageCollector()
        let parser = XMLParser(data: data)
        parser.delegate = collector
        guard parser.parse() else {
            throw parser.parserError ?? NSError(domain: "WikitextSample", code: 1)
        }
        cached = collector.pages
        return collector.pages
    }

    /// Non-redirect articles (namespace 0).
    static func articles() throws -> [WikitextSamplePage] {
        try pages().filter { $0.namespace == 0 && !$0.isRedirect }
    }

    static func article(_ title: String) throws -> WikitextSamplePage {
        guard let page = try articles().first(where: { $0.title == title }) else {
            throw NSError(domain: "WikitextSample", code: 2, userInfo: [NSLocalizedDescriptionKey: "no page \(title)"])
        }
        return page
    }

    private final class PageCollector: NSObject, XMLParserDelegate {
        var pages: [WikitextSamplePage] = []
        private var current: WikitextSamplePage?
        private var buffer = ""
        private var path: [String] = []

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            path.append(name)
            buffer = ""
            if name == "page" { current = WikitextSamplePage(title: "", namespace: -1, isRedirect: false, text: "") }
            if name == "redirect" { current?.isRedirect = true }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { buffer += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            defer { path.removeLast() }
            guard current != nil else { return }
            let parent = path.count >= 2 ? path[path.count - 2] : ""
            switch name {
            case "title" where parent == "page": current?.title = buffer
            case "ns" where parent == "page": current?.namespace = Int(buffer) ?? -1
            case "text": current?.text = buffer
            case "page":
                if let page = current { pages.append(page) }
                current = nil
            default: break
            }
        }
    }
}
