import Crypto

/// The cache key of a normalized text: the SHA-256 digest of its UTF-8 bytes.
///
/// Stored in the cache's `embeddings.text_hash` column as 64 lowercase hex digits.
/// Kept as four big-endian words so that it hashes and compares cheaply in dedup sets.
public struct TextHash: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The digest as four 64-bit words, big-endian: `w0` holds bytes 0...7.
    public let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// Hashes the UTF-8 bytes of an already normalized text.
    public init(normalized text: String) {
        var copy = text
        self = copy.withUTF8 { TextHash(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Hashes raw bytes (the UTF-8 bytes of a normalized text).
    public init(bytes: UnsafeRawBufferPointer) {
        let digest = SHA256.hash(data: bytes)
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        digest.withUnsafeBytes { raw in
            words.0 = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            words.1 = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            words.2 = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            words.3 = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
        (w0, w1, w2, w3) = words
    }

    /// Parses 64 hex digits (either case); nil for anything else.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var words = [UInt64](repeating: 0, count: 4)
        for (i, c) in utf8.enumerated() {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            words[i / 16] = words[i / 16] << 4 | UInt64(v)
        }
        (w0, w1, w2, w3) = (words[0], words[1], words[2], words[3])
    }

    /// Builds a hash from its four words (tests, storage round trips).
    public init(words w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        (self.w0, self.w1, self.w2, self.w3) = (w0, w1, w2, w3)
    }

    /// The 32 digest bytes in order.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for w in [w0, w1, w2, w3] {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: w >> UInt64(shift))) }
        }
        return out
    }

    /// 64 lowercase hex digits, the form stored in `embeddings.text_hash`.
    public var hex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 64) { buffer in
            var i = 0
            for w in [w0, w1, w2, w3] {
                for shift in stride(from: 60, through: 0, by: -4) {
                    buffer[i] = digits[Int((w >> UInt64(shift)) & 0xF)]
                    i += 1
                }
            }
            return 64
        }
    }

    public var description: String { hex }

    public static func < (a: TextHash, b: TextHash) -> Bool {
        (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
    }
}
