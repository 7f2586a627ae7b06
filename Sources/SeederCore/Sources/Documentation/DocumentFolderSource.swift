#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A folder of Markdown (`.md`, `.markdown`…) and HTML (`.html`, `.htm`) files, each split into sections at its
/// headings (kind `markdown`). The path may also name a single file.
///
/// **Items.** An item is one file, in the order of ``DocumentFolder`` (recursive, sorted by relative path,
/// hidden entries skipped, folder symlinks not followed); a sub-folder that cannot be listed is an item too
/// (skipped as ``SkipReason/malformed``).
///
/// **Sections.** Markdown: see ``MarkdownDocument`` (ATX and Setext headings; code blocks, front matter…). HTML:
/// ``HTMLText/headingSections(_:)`` (headings `h1`–`h6`). The text before the first heading is a section titled
/// by the page title — front matter `title:` (Markdown) or `<title>` (HTML), else the first level-1 heading, else
/// the file name without extension — when it holds any text.
///
/// **Records.** One per non-empty section: `title` = the heading's text (with `prefixPageTitle`:
/// "Page › Section"), `body` = the section's text without its heading, `category` = `options.category`, else the
/// folder's name, `id` = `relative/path.md#slug` (the GitHub-style slug of the heading, `-1`, `-2`… for repeats;
/// an HTML heading's own `id` when it has one; no fragment for the intro), `url` = `baseURL` + the same
/// (`""` without a base URL), `ordinal` = the file's.
///
/// **Skips.** Parts of a file: a heading with no text before the next one (``SkipReason/empty``), a section over
/// `maxChars` characters (`tooLong`). Whole files: over `maxFileBytes` (`tooLong`, never read), unreadable
/// (`malformed`), not valid UTF-8 (`invalidUTF8`), no text at all (`empty`). Failures name the file.
public struct DocumentFolderSource: RecordSource {
    public struct Options: Sendable, Equatable {
        /// The records' category; nil: the folder's name.
        public var category: String?
        /// Prefixed to `relative/path.md#slug` to make each record's URL; nil: no URL.
        public var baseURL: String?
        /// Titles as "Page › Section" instead of the section's heading alone.
        public var prefixPageTitle: Bool
        /// Files larger than this are skipped as too long without being read.
        public var maxFileBytes: Int64
        /// Sections longer than this many characters are skipped as too long.
        public var maxChars: Int

        public init(category: String? = nil, baseURL: String? = nil, prefixPageTitle: Bool = false,
                    maxFileBytes: Int64 = 64 << 20, maxChars: Int = 100_000) {
            self.category = category
            self.baseURL = baseURL
            self.prefixPageTitle = prefixPageTitle
            self.maxFileBytes = maxFileBytes
            self.maxChars = maxChars
        }
    }

    /// The folder (or single file).
    public let path: String
    public let options: Options

    public var kind: String { "markdown" }

    /// The total size of the documents.
    public var inputSize: Int64? {
        guard let entries = try? DocumentFolder.list(path) else { return nil }
        return entries.reduce(0) { $0 + $1.size }
    }

    public init(path: String, options: Options = Options()) {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.path = path
        self.options = options
    }

    public func read(resumeAfter: SourceCheckpoint, chunkSize: Int, deliver: (RecordChunk) throws -> Void) throws {
        let entries = try DocumentFolder.list(path)
        let category = options.category ?? folderName
        var builder = RecordChunkBuilder(chunkSize: chunkSize, replayThrough: resumeAfter.items)
        var bytesRead: Int64 = 0
        for (index, entry) in entries.enumerated() {
            let ordinal = Int64(index)
            // Stamped before the item: a chunk closes inside add/skip.
            bytesRead += entry.size
            builder.inputBytesRead = bytesRead
            if let problem = entry.problem {
                builder.skip(.malformed, ordinal: ordinal, recordID: entry.relativePath, detail: "\(entry.path): \(problem)")
            } else {
                addFile(entry, ordinal: ordinal, category: category, to: &builder)
            }
            for chunk in builder.takeReady() { try deliver(chunk) }
        }
        builder.closeOpenChunk()
        for chunk in builder.takeReady() { try deliver(chunk) }
        if Int64(entries.count) < resumeAfter.items {
            throw SourceError(.wrongFormat, file: path, position: "after file #\(entries.count)",
                              message: "the checkpoint is at file \(resumeAfter.items), but the folder holds only \(entries.count) documents",
                              hint: "the folder changed since the run started; start a new run for it")
        }
    }

    /// The root folder's name (the parent folder's for a single file).
    private var folderName: String {
        var info = stat()
        let components = path.split(separator: "/")
        if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
            return components.dropLast().last.map(String.init) ?? ""
        }
        return components.last.map(String.init) ?? path
    }

    // MARK: One file

    private func addFile(_ entry: DocumentFolder.Entry, ordinal: Int64, category: String, to builder: inout RecordChunkBuilder) {
        let id = entry.relativePath
        let text: String
        switch Self.load(entry.path, maxBytes: options.maxFileBytes) {
        case .tooLarge(let size):
            builder.skip(.tooLong, ordinal: ordinal, recordID: id,
                         detail: "\(entry.path) is \(size) bytes, more than the \(options.maxFileBytes)-byte limit per file")
            return
        case .failed(let message):
            builder.skip(.malformed, ordinal: ordinal, recordID: id, detail: "\(entry.path): \(message)")
            return
        case .invalidUTF8(let offset):
            builder.skip(.invalidUTF8, ordinal: ordinal, recordID: id, detail: "\(entry.path) is not valid UTF-8 (byte \(offset))")
            return
        case .text(let string):
            text = string
        }

        let fileName = String(id.split(separator: "/").last ?? Substring(id))
        let stem = fileName.lastIndex(of: ".").map { String(fileName[..<$0]) } ?? fileName
        var sections: [(title: String, fragment: String?, text: String)] = []
        var pageTitle = stem
        var slugger = HeadingSlugger()
        if ["html", "htm", "xhtml"].contains(fileName.split(separator: ".").last?.lowercased() ?? "") {
            let page = HTMLText().headingSections(text)
            let firstH1 = page.sections.first { $0.level == 1 && !$0.title.isEmpty }?.title
            pageTitle = !page.documentTitle.isEmpty ? page.documentTitle : firstH1 ?? stem
            for (position, section) in page.sections.enumerated() {
                if position == 0 {
                    sections.append((pageTitle, nil, section.text))
                } else {
                    let slug = slugger.slug(section.title)
                    sections.append((section.title, section.anchor ?? slug, section.text))
                }
            }
        } else {
            let document = MarkdownDocument(text)
            pageTitle = document.frontMatterTitle ?? document.firstH1 ?? stem
            for (position, section) in document.sections.enumerated() {
                if position == 0 {
                    sections.append((pageTitle, nil, section.text))
                } else {
                    sections.append((section.title, slugger.slug(section.title), section.text))
                }
            }
        }

        var records: [Record] = []
        for (position, section) in sections.enumerated() {
            let recordID = section.fragment.map { "\(id)#\($0)" } ?? id
            if section.text.isEmpty {
                // No text before the first heading is no section; an empty heading section is counted.
                if position > 0 { builder.skipPart(.empty, ordinal: ordinal, recordID: recordID, detail: "") }
                continue
            }
            let characters = section.text.unicodeScalars.count
            if characters > options.maxChars {
                builder.skipPart(.tooLong, ordinal: ordinal, recordID: recordID,
                                 detail: "section \"\(section.title)\" of \(entry.path) has \(characters) characters, more than max_chars \(options.maxChars)")
                continue
            }
            var title = section.title.isEmpty ? pageTitle : section.title
            if options.prefixPageTitle && position > 0 && title != pageTitle { title = "\(pageTitle) › \(title)" }
            records.append(Record(id: recordID, title: title, body: section.text,
                                  url: options.baseURL.map { $0 + recordID } ?? "", category: category, ordinal: ordinal))
        }
        if records.isEmpty && sections.count <= 1 {
            builder.skip(.empty, ordinal: ordinal, recordID: id, detail: "")
        } else {
            builder.add(records)
        }
    }

    enum Loaded {
        case text(String)
        case tooLarge(Int64)
        case invalidUTF8(Int)
        case failed(String)
    }

    /// The file's text, checking its size before reading anything.
    static func load(_ path: String, maxBytes: Int64) -> Loaded {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failed("cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failed("cannot stat: \(String(cString: strerror(errno)))") }
        if Int64(info.st_size) > maxBytes { return .tooLarge(Int64(info.st_size)) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failed("cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[..<n])
            // The file grew past the limit while being read.
            if Int64(bytes.count) > maxBytes { return .tooLarge(Int64(bytes.count)) }
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .invalidUTF8(firstInvalidByte(bytes))
        }
        return .text(text)
    }

    /// The offset of the first byte that does not decode as UTF-8.
    static func firstInvalidByte(_ bytes: [UInt8]) -> Int {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return offset
            case .error: return offset
            }
        }
    }
}

/// `read(2)`, out of reach of `RecordSource.read` inside the type.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
