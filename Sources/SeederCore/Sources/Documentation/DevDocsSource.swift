#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A DevDocs docset directory (as DevDocs downloads or generates it): `db.json` = `{"<page path>": "<html>", …}`,
/// `index.json` = `{"entries": [{"name", "path", "type"}…], "types": […]}`, `meta.json` = name, slug, release….
///
/// **Items.** An item is one page of `db.json`, in file order (ordinal = its 0-based index); then, after the
/// last page, one item per `index.json` entry that cannot be placed — it points at a page `db.json` lacks, or
/// has no string name/path — in index.json order (skipped as ``SkipReason/malformed``, the detail naming the
/// entry). Resuming replays exactly the same sequence, since it depends only on the two files.
///
/// **Records.** A page is split at the anchors its index entries point to (`path` = `page#anchor`; an entry
/// with `path` = `page` names the page's top), see ``HTMLText/anchorSections(_:anchors:)``; a page no entry
/// points to is split at its headings `h1`–`h6`. Each non-empty section is one record:
/// - `title`: the entry's name (the first entry for an anchor named twice); for a section without entry, its
///   heading text (the first heading inside it), else the page path;
/// - `body`: the section's text (``HTMLText``; DevDocs' `_attribution` license box is dropped unless
///   `keepAttribution`);
/// - `category`: `options.category`, else meta.json's `name`, else the directory's name;
/// - `id`: `<slug>/<path>` and `url`: `https://devdocs.io/<slug>/<path>`, where slug is meta.json's `slug` (else
///   the directory's name) and path is `page`, `page#anchor`, or for a heading section `page#<heading id or
///   GitHub-style slug of its text>`;
/// - `ordinal`: the page's.
///
/// **Skips.** Of a page (``RecordChunkBuilder/skipPart(_:ordinal:recordID:detail:)``): an empty section (a named
/// one; empty text before the first anchor or heading with no entry naming it is not a section), a section
/// over `maxChars` characters (``SkipReason/tooLong``), an entry whose anchor the page lacks
/// (``SkipReason/malformed``, naming the entry). Of a whole page: a value that is not a string (`malformed`),
/// a page over `maxChars * 4` bytes (`tooLong`, never decoded), a page with no text at all (`empty`).
///
/// **Memory.** `db.json` (hundreds of MB for big docsets) is mapped, not read, and walked with ``JSONByteReader``
/// one page at a time: only the current page's HTML, text and tree are ever held.
///
/// **Errors.** Missing `db.json`/`index.json`, or either not being valid JSON, is a ``SourceError`` with the byte
/// offset; every page before a fault in `db.json` is delivered first.
public struct DevDocsSource: RecordSource {
    /// How pages become records.
    public struct Options: Sendable, Equatable {
        /// The records' category; nil: meta.json's `name`, else the directory's name.
        public var category: String?
        /// Sections longer than this many characters are skipped as too long; pages over 4× this many bytes are
        /// skipped whole without being decoded.
        public var maxChars: Int
        /// Keep DevDocs' `<div class="_attribution">` (copyright and source link, on every page) in bodies.
        public var keepAttribution: Bool

        public init(category: String? = nil, maxChars: Int = 100_000, keepAttribution: Bool = false) {
            self.category = category
            self.maxChars = maxChars
            self.keepAttribution = keepAttribution
        }
    }

    /// The docset directory (holding db.json, index.json, meta.json).
    public let directory: String
    public let options: Options

    public var kind: String { "devdocs" }

    /// The size of db.json (what progress is measured in).
    public var inputSize: Int64? {
        var info = stat()
        guard stat(dbPath, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    var dbPath: String { directory + "/db.json" }

    public init(directory: String, options: Options = Options()) {
        var directory = directory
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        self.directory = directory
        self.options = options
    }

    public func read(resumeAfter: SourceCheckpoint, chunkSize: Int, deliver: (RecordChunk) throws -> Void) throws {
        let index = try DevDocsIndex.load(directory: directory)
        let db = try MappedFile(path: dbPath)
        guard db.bytes.count > 0 else {
            throw SourceError(.empty, file: dbPath, message: "the file is empty", hint: "re-download the docset")
        }
        let directoryName = directory.split(separator: "/").last.map(String.init) ?? directory
        let slug = index.slug ?? directoryName
        let context = DevDocsPage(slug: slug, category: options.category ?? index.name ?? directoryName,
                                  maxChars: options.maxChars,
                                  html: HTMLText(droppedClasses: options.keepAttribution ? [] : ["_attribution"]))
        var entriesByPage: [String: [DevDocsIndex.Entry]] = [:]
        for entry in index.entries { entriesByPage[entry.page, default: []].append(entry) }

        var builder = RecordChunkBuilder(chunkSize: chunkSize, replayThrough: resumeAfter.items)
        var pagesSeen: Set<String> = []
        var ordinal: Int64 = 0
        let maxPageBytes = options.maxChars.multipliedReportingOverflow(by: 4).overflow ? Int.max : options.maxChars * 4
        var failure: SourceError?

        do {
            var reader = JSONByteReader(db.bytes)
            try reader.beginObject()
            while let page = try reader.nextKey() {
                pagesSeen.insert(page)
                let id = "\(slug)/\(page)"
                if reader.peekValue() != UInt8(ascii: "\"") {
                    try reader.skipValue()
                    builder.inputBytesRead = Int64(reader.offset) // before the item: a chunk may close with it
                    builder.skip(.malformed, ordinal: ordinal, recordID: id, detail: "the value of page \"\(page)\" in db.json is not a string")
                } else {
                    let start = reader.offset
                    try reader.skipValue() // checks escapes and UTF-8 without decoding
                    let end = reader.offset
                    builder.inputBytesRead = Int64(end)
                    if end - start - 2 > maxPageBytes {
                        builder.skip(.tooLong, ordinal: ordinal, recordID: id,
                                     detail: "page \"\(page)\" is \(end - start - 2) bytes of JSON, more than 4 × max_chars \(options.maxChars)")
                    } else {
                        var value = JSONByteReader(UnsafeRawBufferPointer(rebasing: db.bytes[start..<end]))
                        let html: String
                        do {
                            html = try value.readString()
                        } catch {
                            throw JSONReadError(message: error.message, path: page, description: error.description, offset: start + error.offset)
                        }
                        context.add(page: page, html: html, entries: entriesByPage[page] ?? [], ordinal: ordinal, to: &builder)
                    }
                }
                ordinal += 1
                for chunk in builder.takeReady() { try deliver(chunk) } // a throw from `deliver` ends the read
            }
            try reader.finish()
        } catch let error as JSONReadError {
            failure = SourceError(.malformedDocument, file: dbPath, position: "byte \(error.offset)",
                                  message: "not valid JSON: \(error.description)",
                                  hint: "the docset is damaged or cut short; re-download it (every page before this point was read)")
        }
        if failure == nil {
            // Entries that no page can hold, as items of their own after the pages.
            for (position, problem) in index.malformedEntries {
                builder.skip(.malformed, ordinal: ordinal, recordID: "\(slug)/index.json#\(position)",
                             detail: "index.json entry #\(position + 1) \(problem)")
                ordinal += 1
            }
            for entry in index.entries where !pagesSeen.contains(entry.page) {
                builder.skip(.malformed, ordinal: ordinal, recordID: "\(slug)/\(entry.path)",
                             detail: "index.json entry \"\(entry.name)\" (\(entry.path)) points to page \"\(entry.page)\", which db.json does not hold")
                ordinal += 1
            }
        }
        builder.inputBytesRead = Int64(db.bytes.count)
        builder.closeOpenChunk()
        for chunk in builder.takeReady() { try deliver(chunk) }
        if let failure { throw failure }
        if ordinal < resumeAfter.items {
            throw SourceError(.wrongFormat, file: dbPath, position: "after item #\(ordinal)",
                              message: "the checkpoint is at item \(resumeAfter.items), but the docset holds only \(ordinal) items",
                              hint: "the docset changed since the run started; start a new run for it")
        }
    }
}
