import CLibXML2

/// Runs libxml2's SAX2 push parser over an abstracts dump (`<feed><doc>…</doc>…</feed>`) and turns each
/// `<doc>` into a record or a skip in a ``RecordChunkBuilder``.
///
/// Owns the parser context (freed in `deinit`); libxml2's callbacks reach this object through the context's
/// user-data pointer. The hot state lives behind `state`, a pointer this object also owns, so that the
/// callbacks (about a hundred per doc) mutate it without Swift's dynamic exclusivity checks. Text is collected
/// as raw bytes, only inside `<title>`, `<url>` and `<abstract>` of a `<doc>`; strings are built once per record.
final class WikipediaAbstractsParser {
    let path: String
    private let ctxt: xmlParserCtxtPtr
    let state: UnsafeMutablePointer<AbstractsParseState>
    /// The first fatal problem: libxml2's, or one found by a callback (wrong root element).
    private(set) var failure: SourceError?
    /// Uncompressed bytes fed so far.
    private(set) var bytesFed: Int64 = 0

    init(path: String, minChars: Int, maxChars: Int, builder: RecordChunkBuilder) throws {
        _ = libxml2Initialized
        var handler = xmlSAXHandler()
        handler.initialized = UInt32(XML_SAX2_MAGIC)
        handler.startElementNs = { ctx, localname, _, _, _, _, _, _, _ in
            guard let ctx, let localname else { return }
            if WikipediaAbstractsParser.state(ctx).pointee.startElement(localname) == 1 {
                WikipediaAbstractsParser.from(ctx).checkRoot(localname)
            }
        }
        handler.endElementNs = { ctx, _, _, _ in
            guard let ctx else { return }
            WikipediaAbstractsParser.state(ctx).pointee.endElement()
        }
        handler.characters = { ctx, bytes, length in
            guard let ctx, let bytes, length > 0 else { return }
            WikipediaAbstractsParser.state(ctx).pointee.characters(bytes, Int(length))
        }
        handler.serror = { ctx, error in
            guard let ctx, let error else { return }
            WikipediaAbstractsParser.from(ctx).libxmlError(error.pointee)
        }
        // No entity, DTD or external-subset callbacks: only the five predefined entities and character
        // references are decoded; nothing is loaded from outside.
        guard let ctxt = xmlCreatePushParserCtxt(&handler, nil, nil, 0, path) else {
            throw SourceError(.io, file: path, message: "libxml2 could not create a parser (out of memory?)")
        }
        // NONET: never fetch anything. IGNORE_ENC: the bytes are UTF-8 (UTF8Sanitizer guarantees it), whatever
        // an XML declaration says. NOCDATA: CDATA arrives as ordinary characters.
        xmlCtxtUseOptions(ctxt, Int32(XML_PARSE_NONET.rawValue | XML_PARSE_IGNORE_ENC.rawValue | XML_PARSE_NOCDATA.rawValue))
        self.ctxt = ctxt
        self.path = path
        state = .allocate(capacity: 1)
        state.initialize(to: AbstractsParseState(minChars: minChars, maxChars: maxChars, builder: builder))
        ctxt.pointee.userData = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        xmlFreeParserCtxt(ctxt)
        state.deinitialize(count: 1)
        state.deallocate()
    }

    @inline(__always)
    private static func from(_ ctx: UnsafeMutableRawPointer) -> WikipediaAbstractsParser {
        Unmanaged<WikipediaAbstractsParser>.fromOpaque(ctx).takeUnretainedValue()
    }

    /// The hot state, without retaining the parser: it outlives every callback, which only run inside `feed`/`finish`.
    @inline(__always)
    private static func state(_ ctx: UnsafeMutableRawPointer) -> UnsafeMutablePointer<AbstractsParseState> {
        Unmanaged<WikipediaAbstractsParser>.fromOpaque(ctx)._withUnsafeGuaranteedRef { $0.state }
    }

    /// Parses the next bytes of the document. Returns false once parsing has failed (see `failure`).
    func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard failure == nil, let base = bytes.baseAddress, bytes.count > 0 else { return failure == nil }
        bytesFed += Int64(bytes.count)
        // Large inputs in pieces: xmlParseChunk takes an Int32 size.
        var offset = 0
        while offset < bytes.count && failure == nil {
            let size = min(bytes.count - offset, 1 << 30)
            xmlParseChunk(ctxt, base.advanced(by: offset).assumingMemoryBound(to: CChar.self), Int32(size), 0)
            offset += size
        }
        checkHalted()
        return failure == nil
    }

    /// Tells the parser the document is complete; returns false when that is an error (a truncated document).
    func finish() -> Bool {
        guard failure == nil else { return false }
        if bytesFed == 0 {
            failure = SourceError(.empty, file: path, message: "the file holds no data (it decompresses to nothing)",
                                  hint: "the download may have failed; fetch the file again")
            return false
        }
        let s = state.pointee
        if !s.sawRoot || s.depth > 0 {
            // libxml2 would say "Premature end of data in tag doc line 3"; say what it means for this dump.
            let position = currentPosition
            if !s.sawRoot {
                failure = notXML(message: "the file holds no XML element", position: position)
            } else if s.inDoc {
                failure = SourceError(.malformedDocument, file: path, position: position,
                                      message: "document ends inside <doc> #\(s.docOrdinal + 1) (truncated?)",
                                      hint: "the file is incomplete; re-download it (every complete <doc> before the cut was read)")
            } else {
                failure = SourceError(.malformedDocument, file: path, position: position,
                                      message: "document ends before </feed>, after \(s.docOrdinal) docs (truncated?)",
                                      hint: "the file is incomplete; re-download it (every complete <doc> before the cut was read)")
            }
            return false
        }
        xmlParseChunk(ctxt, nil, 0, 1)
        checkHalted()
        return failure == nil
    }

    /// Catches a stop that libxml2 did not report as a fatal error (it would otherwise go on without callbacks).
    private func checkHalted() {
        guard failure == nil, ctxt.pointee.disableSAX != 0 else { return }
        if let error = xmlCtxtGetLastError(ctxt) {
            libxmlError(error.pointee, anyLevel: true)
        }
        if failure == nil {
            failure = SourceError(.malformedDocument, file: path, position: currentPosition, message: "libxml2 stopped parsing")
        }
    }

    /// "line L, column C" of the parser's current position.
    private var currentPosition: String {
        "line \(xmlSAX2GetLineNumber(ctxt)), column \(xmlSAX2GetColumnNumber(ctxt))"
    }

    private func notXML(message: String, position: String) -> SourceError {
        SourceError(.wrongFormat, file: path, position: position, message: message,
                    hint: "this source reads Wikipedia abstract dumps (enwiki-…-abstract.xml or .xml.gz, root element <feed>)")
    }

    // MARK: Callbacks

    private func checkRoot(_ name: UnsafePointer<xmlChar>) {
        if !nameEquals(name, "feed") {
            failure = notXML(message: "the root element is <\(String(cString: name))>, not <feed>", position: currentPosition)
            xmlStopParser(ctxt)
        }
    }

    /// Keeps libxml2's first fatal error, with its line and column (libxml2 then stops calling back).
    private func libxmlError(_ error: xmlError, anyLevel: Bool = false) {
        // Warnings and recoverable errors (level < fatal) do not stop libxml2; they are not worth a run's failure.
        guard failure == nil, anyLevel || error.level == XML_ERR_FATAL else { return }
        var message = error.message.map { String(cString: $0) } ?? "XML error \(error.code)"
        while message.last?.isWhitespace == true { message.removeLast() }
        let position = "line \(error.line), column \(error.int2)"
        let s = state.pointee
        if !s.sawRoot {
            failure = notXML(message: "not an XML document (libxml2: \(message))", position: position)
        } else {
            let context = s.inDoc ? " (in <doc> #\(s.docOrdinal + 1))" : ""
            failure = SourceError(.malformedDocument, file: path, position: position, message: "\(message)\(context)",
                                  hint: "the file is damaged or not a complete abstracts dump; re-download it")
        }
    }
}

/// libxml2's global initialization, once per process, before any thread creates a parser.
private let libxml2Initialized: Void = xmlInitParser()

/// Whether the NUL-terminated `name` is `literal`, comparing bytes (no `String` per element).
@inline(__always)
private func nameEquals(_ name: UnsafePointer<xmlChar>, _ literal: StaticString) -> Bool {
    let count = literal.utf8CodeUnitCount
    let bytes = literal.utf8Start
    for i in 0..<count where name[i] != bytes[i] {
        return false
    }
    return name[count] == 0
}

/// The state of one parse that libxml2's callbacks update: where in the tree, the current doc's text, the chunks.
struct AbstractsParseState {
    enum Field { case none, title, url, abstract }

    let minChars: Int
    let maxChars: Int
    var builder: RecordChunkBuilder
    /// Element depth: 1 = <feed>, 2 = <doc>, 3 = <title>/<url>/<abstract>/<links>.
    var depth = 0
    var sawRoot = false
    var inDoc = false
    /// Where characters go now; `.none` everywhere but in the three fields of a doc (so <links> cost nothing).
    var target = Field.none
    /// The ordinal of the current (or next) doc: its 0-based index among all <doc> elements.
    var docOrdinal: Int64 = 0

    var title: [UInt8] = []
    var url: [UInt8] = []
    var abstract: [UInt8] = []
    var titleSeen = false
    /// Bytes of the field beyond what is kept (the field is too long and only counted).
    var titleOverflow = 0
    var urlOverflow = 0
    var abstractOverflow = 0

    /// A title or URL longer than this is not kept (no real one comes close).
    static let maxNameBytes = 64 * 1024
    /// The abstract is kept up to this many bytes: `maxChars` characters take at most 4 bytes each.
    let maxAbstractBytes: Int

    init(minChars: Int, maxChars: Int, builder: RecordChunkBuilder) {
        self.minChars = minChars
        self.maxChars = maxChars
        self.builder = builder
        maxAbstractBytes = maxChars.multipliedReportingOverflow(by: 4).overflow ? Int.max : maxChars * 4
        title.reserveCapacity(256)
        url.reserveCapacity(256)
        abstract.reserveCapacity(4096)
    }

    /// Returns the new depth.
    @inline(__always)
    mutating func startElement(_ name: UnsafePointer<xmlChar>) -> Int {
        depth += 1
        switch depth {
        case 1:
            sawRoot = true
        case 2:
            if nameEquals(name, "doc") { startDoc() }
        case 3:
            guard inDoc else { break }
            switch name[0] {
            case UInt8(ascii: "t") where nameEquals(name, "title"):
                target = .title
                titleSeen = true
            case UInt8(ascii: "u") where nameEquals(name, "url"):
                target = .url
            case UInt8(ascii: "a") where nameEquals(name, "abstract"):
                target = .abstract
            default:
                target = .none
            }
        default:
            break // deeper: text inside markup within a field still goes to that field
        }
        return depth
    }

    @inline(__always)
    mutating func endElement() {
        if depth == 3 {
            target = .none
        } else if depth == 2 && inDoc {
            finishDoc()
            inDoc = false
        }
        depth -= 1
    }

    @inline(__always)
    mutating func characters(_ bytes: UnsafePointer<xmlChar>, _ length: Int) {
        switch target {
        case .none:
            return
        case .title:
            Self.append(bytes, length, to: &title, overflow: &titleOverflow, limit: Self.maxNameBytes)
        case .url:
            Self.append(bytes, length, to: &url, overflow: &urlOverflow, limit: Self.maxNameBytes)
        case .abstract:
            Self.append(bytes, length, to: &abstract, overflow: &abstractOverflow, limit: maxAbstractBytes)
        }
    }

    /// Appends unless the field would pass `limit`; past it, drops the field's bytes and only counts.
    @inline(__always)
    private static func append(_ bytes: UnsafePointer<xmlChar>, _ length: Int, to field: inout [UInt8],
                        overflow: inout Int, limit: Int) {
        if overflow > 0 || field.count + length > limit {
            overflow += length + field.count
            field.removeAll() // give the memory back: a huge field is skipped anyway
            return
        }
        field.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
    }

    private mutating func startDoc() {
        inDoc = true
        target = .none
        titleSeen = false
        title.removeAll(keepingCapacity: true)
        url.removeAll(keepingCapacity: true)
        if abstract.capacity > 1 << 20 {
            abstract = []
            abstract.reserveCapacity(4096)
        } else {
            abstract.removeAll(keepingCapacity: true)
        }
        titleOverflow = 0
        urlOverflow = 0
        abstractOverflow = 0
    }

    private mutating func finishDoc() {
        let ordinal = docOrdinal
        docOrdinal += 1
        let titlePrefix: [UInt8] = Array("Wikipedia: ".utf8)
        let titleRange = UTF8Text.trimmedRange(title, droppingPrefix: titlePrefix)
        let urlRange = UTF8Text.trimmedRange(url, droppingPrefix: [])
        let abstractRange = UTF8Text.trimmedRange(abstract, droppingPrefix: [])

        // The id names the doc in failures: its URL, else its title, else its position.
        func recordID() -> String {
            if !urlRange.isEmpty { return String(decoding: url[urlRange], as: UTF8.self) }
            if !titleRange.isEmpty { return String(decoding: title[titleRange], as: UTF8.self) }
            return "doc #\(ordinal + 1)"
        }

        if titleOverflow > 0 || urlOverflow > 0 {
            let field = titleOverflow > 0 ? "<title>" : "<url>"
            let size = titleOverflow > 0 ? titleOverflow : urlOverflow
            builder.skip(.tooLong, ordinal: ordinal, recordID: recordID(),
                         detail: "\(field) is \(size) bytes long, more than \(Self.maxNameBytes)")
            return
        }
        if !titleSeen || titleRange.isEmpty {
            builder.skip(.malformed, ordinal: ordinal, recordID: recordID(),
                         detail: titleSeen ? "<doc> #\(ordinal + 1) has an empty <title>" : "<doc> #\(ordinal + 1) has no <title>")
            return
        }
        if abstractOverflow > 0 {
            builder.skip(.tooLong, ordinal: ordinal, recordID: recordID(),
                         detail: "the abstract is \(abstractOverflow) bytes long, more than max_chars \(maxChars) characters")
            return
        }
        if abstractRange.isEmpty {
            builder.skip(.empty, ordinal: ordinal, recordID: recordID(), detail: "no abstract")
            return
        }
        let replaced = UTF8Text.replacementCount(abstract, abstractRange)
            + UTF8Text.replacementCount(title, titleRange) + UTF8Text.replacementCount(url, urlRange)
        if replaced > 0 {
            builder.skip(.invalidUTF8, ordinal: ordinal, recordID: recordID(),
                         detail: "\(replaced) invalid UTF-8 sequence(s) in the doc's text (replaced by U+FFFD while reading)")
            return
        }
        let debris = abstract.withUnsafeBufferPointer {
            AbstractDebrisFilter.isDebris(UnsafeBufferPointer(rebasing: $0[abstractRange]))
        }
        if debris {
            builder.skip(.markup, ordinal: ordinal, recordID: recordID(), detail: "")
            return
        }
        let characters = UTF8Text.scalarCount(abstract, abstractRange)
        if characters < minChars {
            builder.skip(.tooShort, ordinal: ordinal, recordID: recordID(), detail: "")
            return
        }
        if characters > maxChars {
            builder.skip(.tooLong, ordinal: ordinal, recordID: recordID(),
                         detail: "the abstract has \(characters) characters, more than max_chars \(maxChars)")
            return
        }
        let titleString = String(decoding: title[titleRange], as: UTF8.self)
        let urlString = String(decoding: url[urlRange], as: UTF8.self)
        builder.add(Record(id: urlString.isEmpty ? titleString : urlString, title: titleString,
                           body: String(decoding: abstract[abstractRange], as: UTF8.self),
                           url: urlString, category: "", ordinal: ordinal))
    }
}
