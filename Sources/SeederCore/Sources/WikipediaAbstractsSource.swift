#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Wikipedia's legacy abstract dumps (`enwiki-YYYYMMDD-abstract.xml.gz`, last produced 2025-02-01): one `<doc>`
/// per article with `<title>Wikipedia: X</title>`, `<url>`, `<abstract>` and `<links>`, under a `<feed>` root.
///
/// The file may be plain XML or gzip (single or multi-member), recognized by its first bytes. It is streamed in
/// constant memory: file → ``GzipByteReader`` → ``ElementElider`` (drops each `<links>…</links>`, 85% of the
/// bytes) → ``UTF8Sanitizer`` → libxml2's SAX2 push parser (``WikipediaAbstractsParser``).
///
/// A record: `id` = the URL (the title when there is none), `title` without "Wikipedia: ", `body` = the abstract
/// (trimmed), `url`, `category` "" (these dumps have none), `ordinal` = the 0-based index of the `<doc>`.
///
/// A doc is skipped, and counted by reason in its chunk, when:
/// - ``SkipReason/empty``: it has no abstract or only white space;
/// - ``SkipReason/markup``: the abstract is wikitext debris, not prose (``AbstractDebrisFilter``);
/// - ``SkipReason/tooShort``: the abstract has fewer than `minChars` characters (Unicode scalars) after trimming;
/// - ``SkipReason/tooLong``: more than `maxChars` characters; such a text is counted, never held in memory;
/// - ``SkipReason/invalidUTF8``: its bytes were not valid UTF-8: ``UTF8Sanitizer`` replaced them by U+FFFD,
///   and any doc whose title, URL or abstract holds U+FFFD is skipped (a literal U+FFFD in the dump too; bytes
///   inside `<links>` are never looked at);
/// - ``SkipReason/malformed``: it has no (or an empty) `<title>`.
/// The last three are failures, also listed in the chunk's `failures`.
///
/// Errors are ``SourceError``s naming the file and a position. Every complete doc before a fatal error (a
/// truncated gzip, a truncated or broken XML document) is delivered before the error is thrown. On resume, docs
/// up to the checkpoint are read and classified again and delivered as replay chunks (records only); a
/// checkpoint beyond the end of the file is an error (`.wrongFormat`: the file changed since the run started).
public struct WikipediaAbstractsSource: RecordSource {
    /// How texts are filtered.
    public struct Options: Sendable, Equatable {
        /// Abstracts shorter than this many characters (after trimming) are skipped as too short.
        public var minChars: Int
        /// Abstracts longer than this many characters are skipped as too long without being held in memory.
        public var maxChars: Int
        /// Bytes read from the file and fed to the XML parser at a time.
        public var bufferSize: Int
        /// Inflate a gzip file on a thread of its own (``ReadAheadByteReader``): about half the wall time of the
        /// source for slightly more CPU in total.
        public var readAhead: Bool

        public init(minChars: Int = 20, maxChars: Int = 100_000, bufferSize: Int = 256 * 1024, readAhead: Bool = true) {
            self.minChars = minChars
            self.maxChars = maxChars
            self.bufferSize = bufferSize
            self.readAhead = readAhead
        }
    }

    /// The dump's path.
    public let path: String
    public let options: Options

    public var kind: String { "wikipedia-abstracts" }

    public var inputSize: Int64? { SourceReadLoop.fileSize(path) }

    /// A source reading the dump at `path`.
    public init(path: String, options: Options = Options()) {
        self.path = path
        self.options = options
    }

    public func read(resumeAfter: SourceCheckpoint, chunkSize: Int, deliver: (RecordChunk) throws -> Void) throws {
        let input = try InputFile.open(path, bufferSize: options.bufferSize, readAhead: options.readAhead)
        // <links> is most of each doc and none of what a record needs: it never reaches libxml2.
        let reader = UTF8Sanitizer(source: ElementElider(source: input.reader, elementName: "links"))
        let parser = try WikipediaAbstractsParser(
            path: path, minChars: options.minChars, maxChars: options.maxChars,
            builder: RecordChunkBuilder(chunkSize: chunkSize, replayThrough: resumeAfter.items))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(options.bufferSize, 4096), alignment: 16)
        defer { buffer.deallocate() }

        // Chunks close inside libxml2's callbacks; they are delivered here, where a throw from `deliver` can
        // propagate (it ends the read at once).
        func deliverReady() throws {
            for chunk in parser.state.pointee.builder.takeReady() {
                try deliver(chunk)
            }
        }

        var failure: SourceError?
        while true {
            let count: Int
            do {
                count = try reader.read(into: buffer)
            } catch let error as SourceError {
                failure = error
                break
            }
            if count == 0 { break }
            parser.state.pointee.builder.inputBytesRead = reader.compressedBytesRead
            let ok = parser.feed(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            if !ok { break }
            try deliverReady()
        }
        if failure == nil && parser.failure == nil {
            _ = parser.finish()
        }
        failure = failure ?? parser.failure

        // Deliver every complete doc, including before an error, so that the pipeline commits them.
        parser.state.pointee.builder.inputBytesRead = reader.compressedBytesRead
        parser.state.pointee.builder.closeOpenChunk()
        try deliverReady()
        if let failure { throw failure }

        let docs = parser.state.pointee.builder.itemsConsumed
        if docs < resumeAfter.items {
            throw SourceError(.wrongFormat, file: path, position: "after doc #\(docs)",
                              message: "the checkpoint is at doc \(resumeAfter.items), but the file holds only \(docs) docs",
                              hint: "the file changed since the run started; start a new run for this file")
        }
    }
}
