#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes the character data of machine-written XML: the five predefined entities and character references.
///
/// MediaWiki exports use nothing else (no DTD, no CDATA). An `&` that starts none of these is kept as it is.
enum XMLText {
    /// `bytes` decoded into `output` (appended).
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        guard let base = bytes.baseAddress else { return }
        var i = 0
        let count = bytes.count
        while i < count {
            // Copy up to the next '&' in one go.
            let rest = UnsafeRawPointer(base + i)
            guard let amp = memchr(rest, Int32(UInt8(ascii: "&")), count - i) else {
                output.append(contentsOf: UnsafeBufferPointer(start: base + i, count: count - i))
                return
            }
            let at = rest.distance(to: UnsafeRawPointer(amp)) + i
            output.append(contentsOf: UnsafeBufferPointer(start: base + i, count: at - i))
            if let (scalar, length) = entity(bytes, at: at) {
                appendUTF8(scalar, to: &output)
                i = at + length
            } else {
                output.append(UInt8(ascii: "&"))
                i = at + 1
            }
        }
    }

    static func decode(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "&")) else { return text }
        var output: [UInt8] = []
        Array(text.utf8).withUnsafeBufferPointer { decode($0, into: &output) }
        return String(decoding: output, as: UTF8.self)
    }

    /// The character an entity at `at` (an `&`) stands for, and its length through `;`.
    private static func entity(_ bytes: UnsafeBufferPointer<UInt8>, at: Int) -> (UInt32, Int)? {
        let limit = min(bytes.count, at + 12)
        var end = at + 1
        while end < limit && bytes[end] != UInt8(ascii: ";") { end += 1 }
        guard end < limit, end > at + 1 else { return nil }
        let name = UnsafeBufferPointer(rebasing: bytes[(at + 1)..<end])
        let length = end - at + 1
        if name[0] == UInt8(ascii: "#") {
            var value: UInt32 = 0
            let hex = name.count > 1 && (name[1] == UInt8(ascii: "x") || name[1] == UInt8(ascii: "X"))
            let digits = name.dropFirst(hex ? 2 : 1)
            guard !digits.isEmpty else { return nil }
            for d in digits {
                let v: UInt32
                switch d {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(d - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f") where hex: v = UInt32(d - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F") where hex: v = UInt32(d - UInt8(ascii: "A") + 10)
                default: return nil
                }
                value = value * (hex ? 16 : 10) + v
                if value > 0x10FFFF { return nil }
            }
            // Not a character XML allows (NUL, a surrogate): U+FFFD, as a lenient parser would.
            if value == 0 || (0xD800...0xDFFF).contains(value) { value = 0xFFFD }
            return (value, length)
        }
        switch name.count {
        case 2 where name[0] == UInt8(ascii: "l") && name[1] == UInt8(ascii: "t"): return (0x3C, length)
        case 2 where name[0] == UInt8(ascii: "g") && name[1] == UInt8(ascii: "t"): return (0x3E, length)
        case 3 where name.elementsEqual("amp".utf8): return (0x26, length)
        case 4 where name.elementsEqual("quot".utf8): return (0x22, length)
        case 4 where name.elementsEqual("apos".utf8): return (0x27, length)
        default: return nil
        }
    }

    static func appendUTF8(_ value: UInt32, to output: inout [UInt8]) {
        switch value {
        case 0..<0x80:
            output.append(UInt8(value))
        case 0x80..<0x800:
            output.append(UInt8(0xC0 | (value >> 6)))
            output.append(UInt8(0x80 | (value & 0x3F)))
        case 0x800..<0x10000:
            output.append(UInt8(0xE0 | (value >> 12)))
            output.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (value & 0x3F)))
        default:
            output.append(UInt8(0xF0 | (value >> 18)))
            output.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
            output.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (value & 0x3F)))
        }
    }
}
