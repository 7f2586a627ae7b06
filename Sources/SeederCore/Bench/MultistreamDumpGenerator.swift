import CBZip2
import Foundation

/// Writes Wikimedia-style multistream dumps (`X-multistream.xml.bz2` + `X-multistream-index.txt.bz2`) from the
/// pages of a real sample, for the source benchmark and the tests.
///
/// The layout is Wikimedia's: a first stream holding the root and `<siteinfo>`, streams of `pagesPerStream` pages,
/// a last stream holding `</mediawiki>`; the index lists `offset:pageid:title` for every page.
public struct MultistreamDumpGenerator {
    /// Everything before the first `<page>` (root start tag and siteinfo).
    public var header: [UInt8]
    /// The sample's pages, each a whole `<page>…</page>` with the indentation before it.
    public var pages: [[UInt8]]

    /// Splits a MediaWiki export (plain XML, or bzip2) into its header and its pages.
    public init(samplePath: String) throws {
        let input = try InputFile.open(samplePath, readAhead: false)
        var bytes: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try input.reader.read(into: buffer)
            if n == 0 { break }
            bytes.append(contentsOf: buffer[..<n])
        }
        try self.init(export: bytes, path: samplePath)
    }

    public init(export bytes: [UInt8], path: String = "sample") throws {
        let open = Array("  <page>".utf8), close = Array("</page>\n".utf8)
        var pages: [[UInt8]] = []
        var headerEnd: Int?
        var i = 0
        try bytes.withUnsafeBytes { raw in
            while let start = open.withUnsafeBytes({ ByteSearch.find($0, in: raw, from: i) }) {
                guard let end = close.withUnsafeBytes({ ByteSearch.find($0, in: raw, from: start) }) else {
                    throw SourceError(.malformedDocument, file: path, message: "a <page> does not end")
                }
                if headerEnd == nil { headerEnd = start }
                pages.append(Array(bytes[start..<(end + close.count)]))
                i = end + close.count
            }
        }
        guard let headerEnd else { throw SourceError(.wrongFormat, file: path, message: "no <page> found in the sample") }
        self.header = Array(bytes[..<headerEnd])
        self.pages = pages
    }

    /// The `<id>` and `<title>` of a page, for its index line.
    static func idAndTitle(_ page: [UInt8]) -> (String, String) {
        let text = String(decoding: page.prefix(4096), as: UTF8.self)
        func element(_ name: String) -> String {
            guard let a = text.range(of: "<\(name)>"), let b = text.range(of: "</\(name)>", range: a.upperBound..<text.endIndex) else { return "" }
            return XMLText.decode(String(text[a.upperBound..<b.lowerBound]))
        }
        return (element("id"), element("title"))
    }

    /// Writes `pages` as a multistream dump at `path` and its index at `indexPath` (bzip2, or plain text when the
    /// name does not end in `.bz2`). Returns the offsets of the page streams.
    @discardableResult
    public func write(pages: [[UInt8]], pagesPerStream: Int = 100, to path: String, indexPath: String) throws -> [Int64] {
        guard let out = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) else {
            throw SourceError(.io, file: path, message: "cannot create the file")
        }
        defer { try? out.close() }
        try out.truncate(atOffset: 0)
        var offset: Int64 = 0
        func emit(_ bytes: [UInt8]) throws {
            let compressed = try Self.bzip2(bytes)
            try out.write(contentsOf: compressed)
            offset += Int64(compressed.count)
        }
        try emit(header)
        var index: [UInt8] = []
        var offsets: [Int64] = []
        var start = 0
        while start < pages.count {
            let group = pages[start..<min(start + pagesPerStream, pages.count)]
            offsets.append(offset)
            for page in group {
                let (id, title) = Self.idAndTitle(page)
                index.append(contentsOf: "\(offset):\(id):\(title)\n".utf8)
            }
            try emit(Array(group.joined()))
            start += pagesPerStream
        }
        try emit(Array("</mediawiki>\n".utf8))
        let indexBytes = indexPath.hasSuffix(".bz2") ? try Self.bzip2(index) : index
        try Data(indexBytes).write(to: URL(fileURLWithPath: indexPath))
        return offsets
    }

    /// `count` pages drawn from the sample with a page-size mix like a real dump's: `redirectFraction` of them
    /// redirects, the articles' wikitext cut at a line end after a length drawn from a log-normal distribution
    /// (median e^`logMedian` bytes), so that the average page is about 4 KB as in enwiki, redirects counted. Each
    /// page gets a unique id and title, and its first bold words a number, so that abstracts are distinct.
    public func syntheticPages(count: Int, redirectFraction: Double = 0.45, logMedian: Double = 8.4,
                               logSigma: Double = 1.0, seed: UInt64 = 42) -> [[UInt8]] {
        let redirects = pages.filter { $0.starts(with: Array("  <page>".utf8)) && Self.contains($0, "<redirect") }
        let articles = pages.filter { !Self.contains($0, "<redirect") }
        var rng = SplitMix64(seed: seed)
        func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
        var out: [[UInt8]] = []
        out.reserveCapacity(count)
        for n in 0..<count {
            let isRedirect = !redirects.isEmpty && uniform() < redirectFraction
            let source = isRedirect ? redirects[Int(rng.next() % UInt64(redirects.count))]
                                    : articles[Int(rng.next() % UInt64(articles.count))]
            var text = String(decoding: source, as: UTF8.self)
            if !isRedirect, let open = text.range(of: "xml:space=\"preserve\">"), let close = text.range(of: "</text>") {
                // Box-Muller: a normal draw for the log of the article's length.
                let normal = (-2 * log(max(uniform(), 1e-12))).squareRoot() * cos(2 * Double.pi * uniform())
                let length = Int(exp(logMedian + logSigma * normal))
                let body = text[open.upperBound..<close.lowerBound]
                var cut = body.utf8.count > length ? body.utf8.index(body.startIndex, offsetBy: length) : body.endIndex
                cut = body[cut...].firstIndex(of: "\n") ?? body.endIndex
                var kept = String(body[..<cut])
                if let bold = kept.range(of: "\'\'\'") { kept.replaceSubrange(bold, with: "\'\'\'\(n) ") }
                text = String(text[..<open.upperBound]) + kept + String(text[close.lowerBound...])
            }
            if let a = text.range(of: "<title>"), let b = text.range(of: "</title>") {
                text.replaceSubrange(a.upperBound..<b.lowerBound, with: String(text[a.upperBound..<b.lowerBound]) + " (\(n))")
            }
            if let a = text.range(of: "<id>"), let b = text.range(of: "</id>") {
                text.replaceSubrange(a.upperBound..<b.lowerBound, with: String(1_000_000 + n))
            }
            out.append(Array(text.utf8))
        }
        return out
    }

    private static func contains(_ bytes: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        return bytes.withUnsafeBytes { raw in n.withUnsafeBytes { ByteSearch.find($0, in: raw, from: 0) } } != nil
    }

    /// `bytes` as one bzip2 stream (block size 9, as Wikimedia's dumps).
    public static func bzip2(_ bytes: [UInt8]) throws -> [UInt8] {
        var input = bytes
        var output = [UInt8](repeating: 0, count: bytes.count + bytes.count / 100 + 600)
        var length = UInt32(output.count)
        let status = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                inBuffer.withMemoryRebound(to: CChar.self) { source in
                    outBuffer.withMemoryRebound(to: CChar.self) { destination in
                        BZ2_bzBuffToBuffCompress(destination.baseAddress, &length, source.baseAddress, UInt32(source.count), 9, 0, 30)
                    }
                }
            }
        }
        guard status == BZ_OK else {
            throw SourceError(.io, file: "bzip2", message: "libbz2 could not compress (error \(status))")
        }
        return Array(output.prefix(Int(length)))
    }
}
