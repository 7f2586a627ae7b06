#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small measurements on UTF-8 bytes, so that a source can classify a text before (or instead of) making a `String`.
enum UTF8Text {
    /// The range of `bytes` without leading and trailing white space (ASCII white space, no-break and other
    /// Unicode spaces, zero-width space, byte-order mark), and without `prefix` at its start when present.
    static func trimmedRange(_ bytes: [UInt8], droppingPrefix prefix: [UInt8]) -> Range<Int> {
        var start = 0
        var end = bytes.count
        start += leadingSpace(bytes, from: start, to: end)
        if !prefix.isEmpty, end - start >= prefix.count, (0..<prefix.count).allSatisfy({ bytes[start + $0] == prefix[$0] }) {
            start += prefix.count
            start += leadingSpace(bytes, from: start, to: end)
        }
        while end > start {
            let length = trailingSpaceLength(bytes, from: start, to: end)
            if length == 0 { break }
            end -= length
        }
        return start..<end
    }

    /// The number of white-space bytes at `from`.
    private static func leadingSpace(_ bytes: [UInt8], from: Int, to end: Int) -> Int {
        var i = from
        while i < end {
            let length = spaceLength(bytes, at: i, end: end)
            if length == 0 { break }
            i += length
        }
        return i - from
    }

    /// The length of the white-space character starting at `i`, or 0.
    @inline(__always)
    private static func spaceLength(_ b: [UInt8], at i: Int, end: Int) -> Int {
        switch b[i] {
        case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D:
            return 1
        case 0xC2 where i + 1 < end && (b[i + 1] == 0xA0 || b[i + 1] == 0x85): // U+00A0, U+0085
            return 2
        case 0xE2 where i + 2 < end && b[i + 1] == 0x80 && (b[i + 2] <= 0x8B || b[i + 2] == 0xA8 || b[i + 2] == 0xA9 || b[i + 2] == 0xAF):
            return 3 // U+2000…U+200B, U+2028, U+2029, U+202F
        case 0xE2 where i + 2 < end && b[i + 1] == 0x81 && b[i + 2] == 0x9F: // U+205F
            return 3
        case 0xE3 where i + 2 < end && b[i + 1] == 0x80 && b[i + 2] == 0x80: // U+3000
            return 3
        case 0xEF where i + 2 < end && b[i + 1] == 0xBB && b[i + 2] == 0xBF: // U+FEFF
            return 3
        default:
            return 0
        }
    }

    /// The length of a white-space character ending at `end`, or 0.
    private static func trailingSpaceLength(_ b: [UInt8], from start: Int, to end: Int) -> Int {
        for length in [1, 2, 3] where end - length >= start {
            let i = end - length
            // Only a character starting at a non-continuation byte can end here.
            if b[i] & 0xC0 == 0x80 { continue }
            return spaceLength(b, at: i, end: end) == length ? length : 0
        }
        return 0
    }

    /// The number of U+FFFD (EF BF BD) in `bytes[range]`.
    static func replacementCount(_ bytes: [UInt8], _ range: Range<Int>) -> Int {
        guard range.count >= 3 else { return 0 }
        return bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return 0 }
            var count = 0
            var p = base + range.lowerBound
            let end = base + range.upperBound
            // memchr finds the rare 0xEF lead bytes (U+E000…U+FFFF) with SIMD.
            while p < end, let hit = memchr(p, 0xEF, end - p) {
                let q = UnsafeRawPointer(hit)
                if end - q >= 3 && q.load(fromByteOffset: 1, as: UInt8.self) == 0xBF && q.load(fromByteOffset: 2, as: UInt8.self) == 0xBD {
                    count += 1
                }
                p = q + 1
            }
            return count
        }
    }

    /// The number of Unicode scalars (what `min_chars` and `max_chars` count) in valid UTF-8 `bytes[range]`:
    /// the bytes that are not continuation bytes (10xxxxxx), counted 8 at a time.
    static func scalarCount(_ bytes: [UInt8], _ range: Range<Int>) -> Int {
        bytes.withUnsafeBytes { raw in
            guard let start = raw.baseAddress else { return 0 }
            let base = start + range.lowerBound
            let count = range.count
            var continuation = 0
            var i = 0
            while i + 8 <= count {
                let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                // Bit 7 set and bit 6 clear in a byte: shift bit 6 into bit 7's place.
                continuation &+= (word & ~(word << 1) & 0x8080_8080_8080_8080).nonzeroBitCount
                i += 8
            }
            while i < count {
                if base.load(fromByteOffset: i, as: UInt8.self) & 0xC0 == 0x80 { continuation += 1 }
                i += 1
            }
            return count - continuation
        }
    }
}
