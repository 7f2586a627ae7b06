/// Passes bytes through, replacing every invalid UTF-8 sequence with U+FFFD (EF BF BD).
///
/// libxml2 stops the whole document at the first byte that is not UTF-8; behind this filter it never sees one,
/// so a source can skip just the item whose text holds U+FFFD (``SkipReason/invalidUTF8``).
///
/// Each *maximal subpart* of an ill-formed sequence becomes one U+FFFD (the Unicode Standard's recommended
/// practice, §3.9, also what WHATWG and Swift's `String(decoding:)` do): a lone continuation byte, C0, C1,
/// F5…FF, a surrogate or an overlong lead, or a valid start cut short by the next byte. A sequence split
/// between two reads of the underlying reader is held back and completed, not replaced; a sequence cut by the
/// end of the stream is replaced.
///
/// Valid input costs one pass that checks 8 bytes at a time while they are ASCII, and no copy: bytes are read
/// straight into the caller's buffer and checked there. Only after an invalid byte does the rest of that read
/// go through a slower byte-by-byte copy.
public final class UTF8Sanitizer: ByteReader {
    private let source: ByteReader
    /// Bytes read from the source and not handed out yet: either the start of a sequence cut by a read boundary
    /// (at most 3 bytes), or the rest of a read that held an invalid sequence.
    private var pending: [UInt8] = []
    private var pendingStart = 0
    /// Output that did not fit a caller's buffer smaller than 4 bytes.
    private var stager = ReadStager()
    private var sourceEnded = false
    /// Invalid sequences replaced so far.
    public private(set) var replacements = 0
    public private(set) var bytesProduced: Int64 = 0
    public var compressedBytesRead: Int64 { source.compressedBytesRead }

    /// Wraps `source`.
    public init(source: ByteReader) {
        self.source = source
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        let n: Int
        // A replacement character takes 3 bytes: buffers of fewer than 4 are served staged.
        if !stager.isEmpty || buffer.count < 4 {
            if stager.isEmpty {
                var scratch = [UInt8](repeating: 0, count: 64)
                let filled = try scratch.withUnsafeMutableBytes { try readLarge(into: $0) }
                stager.stage(scratch.prefix(filled))
            }
            n = stager.take(into: buffer)
        } else {
            n = try readLarge(into: buffer)
        }
        bytesProduced += Int64(n)
        return n
    }


    private func readLarge(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        while true {
            var carry = 0
            if pendingStart < pending.count {
                let (kind, _) = UTF8Sanitizer.classify(pending, from: pendingStart)
                if kind != .incomplete {
                    return slowPath(into: buffer)
                }
                // Only the start of a sequence cut by the last read: put it in front and read the rest behind it.
                carry = pending.count - pendingStart
                pending.withUnsafeBytes { held in
                    if let start = held.baseAddress { base.copyMemory(from: start + pendingStart, byteCount: carry) }
                }
            }
            if sourceEnded {
                return carry == 0 ? 0 : slowPath(into: buffer)
            }
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[carry...]))
            pending.removeAll(keepingCapacity: true)
            pendingStart = 0
            if n == 0 {
                sourceEnded = true
                if carry == 0 { return 0 }
                // A sequence cut by the end of the stream: replace it.
                pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: carry))
                return slowPath(into: buffer)
            }
            let total = carry + n
            let valid = UTF8Sanitizer.validPrefix(UnsafeRawBufferPointer(start: base, count: total))
            if valid == total { return total }
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base + valid, count: total - valid))
            if valid > 0 { return valid }
            // Nothing valid at the front: either a short cut sequence (read more) or an invalid byte (slow path).
        }
    }

    /// Copies `pending` into `buffer`, replacing invalid sequences; leaves a sequence cut by a read boundary
    /// in `pending` unless the stream has ended.
    private func slowPath(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let capacity = buffer.count
        var out = 0
        pending.withUnsafeBufferPointer { bytes in
            while pendingStart < bytes.count {
                var (kind, length) = UTF8Sanitizer.classify(bytes, from: pendingStart)
                if kind == .incomplete {
                    if !sourceEnded { break }
                    kind = .invalid
                    length = bytes.count - pendingStart
                }
                if kind == .valid {
                    if out + length > capacity { break }
                    for k in 0..<length { buffer[out + k] = bytes[pendingStart + k] }
                    out += length
                } else {
                    if out + 3 > capacity { break }
                    buffer[out] = 0xEF; buffer[out + 1] = 0xBF; buffer[out + 2] = 0xBD
                    out += 3
                    replacements += 1
                }
                pendingStart += length
            }
        }
        if pendingStart == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingStart = 0
        } else if pendingStart > 4096 {
            pending.removeFirst(pendingStart)
            pendingStart = 0
        }
        return out
    }

    enum Kind { case valid, invalid, incomplete }

    /// The sequence starting at `i`: valid (its length), invalid (the length of its maximal subpart), or
    /// incomplete (a valid start that runs to the end of `bytes`).
    static func classify<C: RandomAccessCollection>(_ bytes: C, from i: C.Index) -> (Kind, Int)
    where C.Element == UInt8, C.Index == Int {
        let end = bytes.endIndex
        let b0 = bytes[i]
        if b0 < 0x80 { return (.valid, 1) }
        let needed: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: needed = 1
        case 0xE0: needed = 2; low = 0xA0
        case 0xED: needed = 2; high = 0x9F // no surrogates
        case 0xE1...0xEF: needed = 2
        case 0xF0: needed = 3; low = 0x90
        case 0xF4: needed = 3; high = 0x8F // nothing above U+10FFFF
        case 0xF1...0xF3: needed = 3
        default: return (.invalid, 1) // continuation byte alone, C0, C1 (overlong), F5…FF
        }
        for k in 1...needed {
            if i + k >= end { return (.incomplete, k) }
            let b = bytes[i + k]
            if b < low || b > high { return (.invalid, k) }
            low = 0x80; high = 0xBF
        }
        return (.valid, needed + 1)
    }

    /// The length of the longest prefix of `bytes` made of complete valid sequences.
    static func validPrefix(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let count = bytes.count
        let p = base.assumingMemoryBound(to: UInt8.self)
        var i = 0
        while i < count {
            // ASCII runs, 8 bytes at a time.
            while i + 8 <= count {
                let high = base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080
                if high != 0 {
                    // Jump to the first non-ASCII byte of the word.
                    i += (UInt64(littleEndian: high).trailingZeroBitCount) >> 3
                    break
                }
                i += 8
            }
            guard i < count else { break }
            if p[i] < 0x80 { i += 1; continue }
            let (kind, length) = classify(UnsafeBufferPointer(start: p, count: count), from: i)
            if kind != .valid { return i }
            i += length
        }
        return count
    }
}
