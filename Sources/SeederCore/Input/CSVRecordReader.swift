/// Splits a byte stream into CSV records (RFC 4180), in bounded memory.
///
/// - Fields are separated by `delimiter` (comma, tab, semicolon…; auto-detected from the first line when nil:
///   tab when it holds one, else comma). Records end with `\n`, `\r\n` or `\r`; the last may have no terminator.
/// - With `quoting`, a field that starts with `"` is quoted: it may hold delimiters and line breaks, `""` is a
///   literal quote, and text after its closing quote is appended as is (as Python's csv does). Quotes inside an
///   unquoted field are literal. Without `quoting` (tab-separated files usually have none) `"` is an ordinary byte.
///   Inside a quoted field, `\r\n` becomes `\n`.
/// - A UTF-8 byte-order mark is dropped; a UTF-16/UTF-32 file is a ``SourceError`` saying how to convert it.
/// - A record longer than `maxRecordBytes` (or with more than `maxFields` fields) is not kept: the reader goes on
///   following quotes without storing anything until the record ends, then reports
///   ``Item/tooLong(line:endLine:byteCount:)``; the next record starts right after it. A quote still open at the end
///   of the stream is ``Item/unterminatedQuote(line:)``, with the line where its record started.
/// - A blank line is a record of one empty field.
final class CSVRecordReader {
    /// A record's fields and where it is.
    struct Row: Equatable {
        var fields: [String]
        /// The 1-based line where the record starts.
        var line: Int
    }

    /// One record of the input.
    enum Item: Equatable {
        case row(Row)
        /// The record's bytes are not valid UTF-8.
        case invalidUTF8(line: Int)
        /// The record is longer than `maxRecordBytes` (or has more than `maxFields` fields) and was not kept.
        case tooLong(line: Int, endLine: Int, byteCount: Int64)
        /// The stream ended inside a quoted field of the record starting at `line`.
        case unterminatedQuote(line: Int)

        /// The 1-based line where the record starts.
        var line: Int {
            switch self {
            case .row(let row): return row.line
            case .invalidUTF8(let line), .tooLong(let line, _, _), .unterminatedQuote(let line): return line
            }
        }
    }

    private enum State {
        /// At the start of a field.
        case fieldStart
        case unquoted
        case quoted
        /// Just after a `"` inside a quoted field: a second `"` is a literal quote, anything else closes the quote.
        case quoteInQuoted
    }

    /// The input's path, for errors.
    let path: String
    let maxRecordBytes: Int
    let maxFields: Int
    /// The delimiter, once known (after the first read when auto-detected).
    private(set) var delimiter: UInt8?
    private var quoting: Bool?
    private let source: ByteReader
    private var buffer: [UInt8]
    private var position = 0
    private var end = 0
    private var ended = false
    private var started = false

    private var state = State.fieldStart
    /// The current record's fields, back to back, and where each ends.
    private var bytes: [UInt8] = []
    private var fieldEnds: [Int] = []
    private var recordStarted = false
    private var recordLine = 1
    private var recordByteCount: Int64 = 0
    private var overflow = false
    private var line = 1
    /// A `\r` ended the last record: a `\n` right after it belongs to it.
    private var skipLineFeed = false
    /// A `\r` inside a quoted field, held until the next byte says whether it starts a `\r\n`.
    private var pendingReturn = false

    /// Bytes of the file on disk consumed so far, for progress.
    var compressedBytesRead: Int64 { source.compressedBytesRead }
    /// Whether quotes are honoured (known once the delimiter is).
    var isQuoting: Bool { quoting ?? (delimiter != 0x09) }

    /// Reads records from `source`, the uncompressed bytes of the file at `path`. `delimiter` nil: detected from
    /// the first line. `quoting` nil: on, except for tab-separated input.
    init(source: ByteReader, path: String, delimiter: UInt8?, quoting: Bool? = nil, maxRecordBytes: Int = 16 << 20,
         maxFields: Int = 65_536, bufferSize: Int = 256 * 1024) {
        self.source = source
        self.path = path
        self.delimiter = delimiter
        self.quoting = quoting
        self.maxRecordBytes = max(1, maxRecordBytes)
        self.maxFields = max(1, maxFields)
        buffer = [UInt8](repeating: 0, count: max(4096, bufferSize))
    }

    /// The next record, or nil at the end. Throws the underlying reader's ``SourceError`` (after every complete
    /// record before it was handed out).
    func next() throws -> Item? {
        if !started { try start() }
        let delimiter = self.delimiter ?? 0x2C
        let quoting = isQuoting
        while true {
            if position == end {
                if ended { return finishAtEnd() }
                try refill()
                continue
            }
            let byte = buffer[position]
            position += 1
            if skipLineFeed {
                skipLineFeed = false
                if byte == 0x0A { continue }
            }
            if !recordStarted {
                recordStarted = true
                recordLine = line
            }
            recordByteCount += 1
            switch state {
            case .fieldStart, .unquoted:
                if byte == delimiter {
                    endField()
                    state = .fieldStart
                } else if byte == 0x0A || byte == 0x0D {
                    line += 1
                    skipLineFeed = byte == 0x0D
                    recordByteCount -= 1
                    return endRecord()
                } else if quoting && byte == 0x22 && state == .fieldStart {
                    state = .quoted
                } else {
                    append(byte)
                    state = .unquoted
                }
            case .quoted:
                if pendingReturn {
                    pendingReturn = false
                    if byte != 0x0A { append(0x0D) }
                }
                if byte == 0x22 {
                    state = .quoteInQuoted
                } else if byte == 0x0D {
                    pendingReturn = true
                } else {
                    if byte == 0x0A { line += 1 }
                    append(byte)
                }
            case .quoteInQuoted:
                if byte == 0x22 {
                    append(0x22)
                    state = .quoted
                } else {
                    // The quote closed; treat this byte as in an unquoted field.
                    state = .unquoted
                    position -= 1
                    recordByteCount -= 1
                }
            }
        }
    }

    /// Reads the first bytes: the byte-order mark and, when asked, the delimiter.
    private func start() throws {
        while !ended && end < 4 { try refill() }
        try ByteOrderMark.rejectWideEncodings(buffer[0..<end], path: path)
        position = ByteOrderMark.utf8Length(buffer[0..<end])
        if delimiter == nil {
            let firstLine = buffer[position..<end].prefix { $0 != 0x0A }
            delimiter = firstLine.contains(0x09) ? 0x09 : 0x2C
        }
        started = true
    }

    /// Reads the next block (keeping nothing: the record being built lives in `bytes`).
    private func refill() throws {
        let n = try buffer.withUnsafeMutableBytes { raw in
            try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[(started ? 0 : end)...]))
        }
        if started {
            position = 0
            end = n
        } else {
            end += n
        }
        if n == 0 { ended = true }
    }

    @inline(__always)
    private func append(_ byte: UInt8) {
        guard !overflow else { return }
        if bytes.count >= maxRecordBytes {
            startOverflow()
            return
        }
        bytes.append(byte)
    }

    private func endField() {
        guard !overflow else { return }
        if fieldEnds.count + 1 >= maxFields {
            startOverflow()
            return
        }
        fieldEnds.append(bytes.count)
    }

    /// Drops what the record holds; its bytes are only counted from now on.
    private func startOverflow() {
        overflow = true
        bytes = []
        fieldEnds = []
    }

    /// The record just ended (its terminator consumed).
    private func endRecord() -> Item {
        let item: Item
        if overflow {
            // The terminator that ended the record moved `line` on: it ended on the line before.
            item = .tooLong(line: recordLine, endLine: line - 1, byteCount: recordByteCount)
        } else {
            fieldEnds.append(bytes.count)
            if bytes.withUnsafeBytes({ UTF8Sanitizer.validPrefix($0) == $0.count }) {
                var fields: [String] = []
                fields.reserveCapacity(fieldEnds.count)
                var fieldStart = 0
                for fieldEnd in fieldEnds {
                    fields.append(String(decoding: bytes[fieldStart..<fieldEnd], as: UTF8.self))
                    fieldStart = fieldEnd
                }
                item = .row(Row(fields: fields, line: recordLine))
            } else {
                item = .invalidUTF8(line: recordLine)
            }
        }
        resetRecord()
        return item
    }

    private func resetRecord() {
        if bytes.capacity > 1 << 20 { bytes = [] } else { bytes.removeAll(keepingCapacity: true) }
        fieldEnds.removeAll(keepingCapacity: true)
        state = .fieldStart
        recordStarted = false
        recordByteCount = 0
        overflow = false
        pendingReturn = false
    }

    /// At the end of the stream: the last record without a terminator, or nil.
    private func finishAtEnd() -> Item? {
        guard recordStarted else { return nil }
        if state == .quoted {
            let item = Item.unterminatedQuote(line: recordLine)
            resetRecord()
            return item
        }
        if pendingReturn { append(0x0D) }
        line += 1
        return endRecord()
    }
}
