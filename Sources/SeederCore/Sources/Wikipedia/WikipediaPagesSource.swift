#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Wikipedia's pages-articles dumps (`enwiki-YYYYMMDD-pages-articles[-multistream].xml.bz2`, or plain `.xml`): one
/// record per article, its abstract extracted from the wikitext.
///
/// **Reading.** With a multistream dump's index (`…-multistream-index.txt.bz2`, found beside the dump by its name or
/// given as `index`), the dump's bzip2 streams (100 pages each) are decompressed and parsed on `threads` threads at
/// once and delivered in dump order, and a checkpoint is a stream offset: a resume seeks to it. Without the index
/// (single-stream dumps, plain XML) the dump is read start to end (bzip2 on a thread of its own), and a resume reads
/// the pages before the checkpoint again.
///
/// **Records.** `id` = the page id, `title`, `body` = the abstract (``WikitextExtractor``: first paragraph, first N
/// sentences, or the lead section), `url` from the siteinfo's base, `category` = the page's categories joined by
/// `|` (a character no MediaWiki title holds), `ordinal` = the page's 0-based index in the dump (every page counts).
///
/// **Skips**, counted by reason: `not_article` (namespace other than 0), `redirect`, `disambiguation`, `not_wikitext`
/// (another content model), `empty` (no text, or no prose paragraph), `too_short`/`too_long` (the abstract against
/// `min_chars`/`max_chars`; a page over `maxPageBytes` is skipped as `too_long` without being held), `invalid_utf8`,
/// `malformed` (a page without a title), `corrupt_stream` (the pages of a damaged bzip2 stream of a multistream dump
/// read with its index: the other streams are read, the damaged one is recorded with its offset).
///
/// **Errors** (``SourceError``, after every page before the damage was delivered): a UTF-16 export, a root element
/// other than `<mediawiki>`, a truncated document or stream when read without an index, an index that does not
/// match its dump.
public struct WikipediaPagesSource: PartitionableSource {
    /// How the dump is read.
    public struct Options: Sendable, Equatable {
        /// Which part of the article becomes the text.
        public var extent: WikitextExtractor.Extent
        /// Abstracts shorter than this many characters are skipped as too short.
        public var minChars: Int
        /// Abstracts longer than this many characters are skipped as too long.
        public var maxChars: Int
        /// Where the multistream index is: found by name beside the dump (`.auto`), not used (`.none`), or a path.
        public var index: IndexChoice
        /// Threads decompressing and parsing streams (multistream with index); nil for one per core.
        public var threads: Int?
        /// A page longer than this (its XML, in bytes) is skipped as too long, never held in memory.
        public var maxPageBytes: Int

        public init(extent: WikitextExtractor.Extent = .firstParagraph, minChars: Int = 20, maxChars: Int = 100_000,
                    index: IndexChoice = .auto, threads: Int? = nil, maxPageBytes: Int = 16 << 20) {
            self.extent = extent
            self.minChars = minChars
            self.maxChars = maxChars
            self.index = index
            self.threads = threads
            self.maxPageBytes = maxPageBytes
        }
    }

    /// Where a multistream dump's index comes from.
    public enum IndexChoice: Sendable, Equatable {
        case auto
        case none
        case path(String)
    }

    public let path: String
    public let options: Options
    /// The part of the dump's streams this source reads (``reading(_:)``); nil for all.
    public private(set) var partition: Partition?
    public var kind: String { "wikipedia" }

    public var inputSize: Int64? { SourceReadLoop.fileSize(path) }

    public init(path: String, options: Options = Options()) {
        self.path = path
        self.options = options
    }

    /// The index this read will use, if any.
    public var indexPath: String? {
        switch options.index {
        case .none: return nil
        case .path(let path): return path
        case .auto: return MultistreamIndex.companion(of: path)
        }
    }

    public func read(resumeAfter: SourceCheckpoint, chunkSize: Int, deliver: (RecordChunk) throws -> Void) throws {
        if let indexPath {
            let index = try MultistreamIndex.load(indexPath)
            try MultistreamReader(path: path, indexPath: indexPath, index: index, options: options, partition: partition)
                .read(resumeAfter: resumeAfter, chunkSize: chunkSize, deliver: deliver)
        } else {
            try readSequentially(resumeAfter: resumeAfter, chunkSize: chunkSize, deliver: deliver)
        }
    }

    /// With its index, a multistream dump splits by stream: this worker decompresses only its own. Without it, nil:
    /// the pipeline splits the texts by key instead.
    public func reading(_ partition: Partition) -> RecordSource? {
        guard indexPath != nil else { return nil }
        var copy = self
        copy.partition = partition
        return copy
    }

    /// Start to end on this thread (decompression on a thread of its own); a resume replays the pages before it.
    private func readSequentially(resumeAfter: SourceCheckpoint, chunkSize: Int, deliver: (RecordChunk) throws -> Void) throws {
        let input = try InputFile.open(path)
        var scanner = MediaWikiScanner(path: path, maxPageBytes: options.maxPageBytes, fragment: false)
        var builder = RecordChunkBuilder(chunkSize: chunkSize, replayThrough: resumeAfter.items)
        var reader: WikipediaPageReader?
        let options = self.options
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { buffer.deallocate() }

        func handle(_ event: MediaWikiScanner.Event) {
            switch event {
            case .siteInfo(let site):
                reader = WikipediaPageReader(site: site, extent: options.extent, minChars: options.minChars, maxChars: options.maxChars)
            case .page(let bytes):
                if reader == nil {
                    reader = WikipediaPageReader(site: .fallback, extent: options.extent, minChars: options.minChars, maxChars: options.maxChars)
                }
                let ordinal = builder.itemsConsumed
                Self.add(reader!.read(bytes, position: "page #\(ordinal + 1)"), ordinal: ordinal, to: &builder)
            case .oversizedPage(let title, let bytes):
                let ordinal = builder.itemsConsumed
                Self.add(Self.oversized(title: title, bytes: bytes, ordinal: ordinal, limit: options.maxPageBytes), ordinal: ordinal, to: &builder)
            }
        }

        var failure: Error?
        do {
            while true {
                let count = try input.reader.read(into: buffer)
                if count == 0 { break }
                builder.inputBytesRead = input.reader.compressedBytesRead
                try scanner.feed(UnsafeRawBufferPointer(rebasing: buffer[..<count]), handle)
                for chunk in builder.takeReady() { try deliver(chunk) }
            }
            try scanner.finish()
        } catch let error as SourceError {
            failure = error
        }
        // Every complete page before a fatal error is delivered first, so that the pipeline commits it.
        builder.inputBytesRead = input.reader.compressedBytesRead
        builder.closeOpenChunk()
        for chunk in builder.takeReady() { try deliver(chunk) }
        if let failure { throw failure }
        if builder.itemsConsumed < resumeAfter.items {
            throw SourceError(.wrongFormat, file: path, position: "after page #\(builder.itemsConsumed)",
                              message: "the checkpoint is at page \(resumeAfter.items), but the dump holds only \(builder.itemsConsumed) pages",
                              hint: "the file changed since the run started; start a new run for this file")
        }
    }

    static func add(_ outcome: PageOutcome, ordinal: Int64, to builder: inout RecordChunkBuilder) {
        switch outcome {
        case .record(var record):
            record.ordinal = ordinal
            builder.add(record)
        case .skip(let reason, let id, let detail):
            builder.skip(reason, ordinal: ordinal, recordID: id, detail: detail)
        }
    }

    static func oversized(title: String?, bytes: Int, ordinal: Int64, limit: Int) -> PageOutcome {
        .skip(.tooLong, id: title ?? "page #\(ordinal + 1)",
              detail: "the page\(title.map { " “\($0)”" } ?? "") is \(bytes) bytes of XML, more than max_page_bytes \(limit); it was skipped without being read whole")
    }
}
