#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream into lines, in bounded memory.
///
/// Lines end with `\n` or `\r\n` (the terminator is not part of the line); a last line without a terminator is a
/// line too. A UTF-8 byte-order mark at the start of the stream is dropped; a UTF-16 or UTF-32 one is a
/// ``SourceError`` (`.wrongFormat`) telling how to convert the file. Bytes are handed out as they are: callers
/// check UTF-8 validity per line (``UTF8Text/isValid(_:)``), so that one bad line is skipped, not the file.
///
/// A line longer than `maxLineBytes` is never held whole: once the buffer holds that many bytes without a line
/// end, the reader drops them and only counts the rest of the line, then reports ``Line/tooLong(number:byteCount:)``.
/// Memory stays below about `maxLineBytes + 2 × bufferSize` whatever the input.
final class LineReader {
    /// One line of the input.
    enum Line {
        /// A line and its 1-based number. The slice shares the reader's buffer: use it before the next call to
        /// `next()` (keeping it across calls makes the reader copy its buffer).
        case text(number: Int, bytes: ArraySlice<UInt8>)
        /// A line longer than `maxLineBytes`, skipped unread; `byteCount` is its length without the terminator.
        case tooLong(number: Int, byteCount: Int64)

        /// The line's 1-based number.
        var number: Int {
            switch self {
            case .text(let number, _), .tooLong(let number, _): return number
            }
        }
    }

    /// The input's path, for errors.
    let path: String
    /// Lines longer than this many bytes are skipped (``Line/tooLong(number:byteCount:)``).
    let maxLineBytes: Int
    private let source: ByteReader
    private let bufferSize: Int
    private var storage: [UInt8]
    /// Unconsumed bytes are `storage[start..<end]`.
    private var start = 0
    private var end = 0
    /// Where the search for the next line end resumes (bytes before it hold none).
    private var scanFrom = 0
    private var ended = false
    private var checkedStart = false
    private var lineNumber = 0

    /// Bytes of the file on disk consumed so far (compressed bytes for a compressed file), for progress.
    var compressedBytesRead: Int64 { source.compressedBytesRead }
    /// The number of the last line handed out (0 before the first).
    var lastLineNumber: Int { lineNumber }

    /// Reads lines from `source`, the uncompressed bytes of the file at `path`.
    init(source: ByteReader, path: String, maxLineBytes: Int = 16 << 20, bufferSize: Int = 256 * 1024) {
        self.source = source
        self.path = path
        self.maxLineBytes = max(1, maxLineBytes)
        self.bufferSize = max(4096, bufferSize)
        storage = [UInt8](repeating: 0, count: self.bufferSize)
    }

    /// The next line, or nil at the end of the stream. Throws the underlying reader's ``SourceError``
    /// (a truncated gzip…) after every complete line before it was handed out.
    func next() throws -> Line? {
        while true {
            // The byte-order mark decides how the file is read: look at it before any line.
            guard checkedStart else {
                try fill()
                continue
            }
            if let newline = find(from: scanFrom) {
                lineNumber += 1
                let lineStart = start
                var lineEnd = newline
                if lineEnd > lineStart && storage[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                start = newline + 1
                scanFrom = start
                if lineEnd - lineStart > maxLineBytes {
                    return .tooLong(number: lineNumber, byteCount: Int64(lineEnd - lineStart))
                }
                return .text(number: lineNumber, bytes: storage[lineStart..<lineEnd])
            }
            scanFrom = end
            if ended {
                guard start < end else { return nil }
                // The last line, without a terminator.
                lineNumber += 1
                let lineStart = start
                var lineEnd = end
                if storage[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                start = end
                if lineEnd - lineStart > maxLineBytes {
                    return .tooLong(number: lineNumber, byteCount: Int64(lineEnd - lineStart))
                }
                return .text(number: lineNumber, bytes: storage[lineStart..<lineEnd])
            }
            // One more byte than the cap may be the `\r` of a `\r\n`.
            if end - start > maxLineBytes + 1 {
                return try discardLongLine()
            }
            try fill()
        }
    }

    /// Drops the current line's bytes through its terminator, counting them.
    private func discardLongLine() throws -> Line {
        lineNumber += 1
        var count = Int64(end - start)
        start = 0
        end = 0
        scanFrom = 0
        while true {
            try fill()
            if let newline = find(from: start) {
                count += Int64(newline - start)
                if newline > start && storage[newline - 1] == 0x0D { count -= 1 }
                start = newline + 1
                scanFrom = start
                return .tooLong(number: lineNumber, byteCount: count)
            }
            if ended {
                count += Int64(end - start)
                start = end
                return .tooLong(number: lineNumber, byteCount: count)
            }
            count += Int64(end - start)
            start = 0
            end = 0
            scanFrom = 0
        }
    }

    /// The index of the first `\n` in `storage[from..<end]`.
    private func find(from: Int) -> Int? {
        guard from < end else { return nil }
        return storage.withUnsafeBytes { raw -> Int? in
            guard let base = raw.baseAddress, let hit = memchr(base + from, 0x0A, end - from) else { return nil }
            return UnsafeRawPointer(hit) - base
        }
    }

    /// Moves the unconsumed bytes to the front, makes room, and reads once more from the source.
    private func fill() throws {
        if start > 0 {
            if start < end {
                storage.withUnsafeMutableBytes { raw in
                    guard let base = raw.baseAddress else { return }
                    memmove(base, base + start, end - start)
                }
            }
            end -= start
            scanFrom -= start
            start = 0
        }
        if end == 0 && storage.count > 4 * bufferSize {
            // A long line made the buffer grow; give the memory back once it is consumed.
            storage = [UInt8](repeating: 0, count: bufferSize)
        }
        if storage.count - end < bufferSize / 2 {
            // Grows only while a line is being gathered, and a line over the cap is dropped: bounded.
            storage.append(contentsOf: repeatElement(0, count: max(storage.count, bufferSize)))
        }
        let n = try storage.withUnsafeMutableBytes { raw in
            try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[end...]))
        }
        if n == 0 {
            ended = true
        }
        end += n
        if !checkedStart && (end >= 4 || ended) {
            checkedStart = true
            try ByteOrderMark.rejectWideEncodings(storage[0..<end], path: path)
            start = ByteOrderMark.utf8Length(storage[0..<end])
            scanFrom = max(scanFrom, start)
        }
    }
}
