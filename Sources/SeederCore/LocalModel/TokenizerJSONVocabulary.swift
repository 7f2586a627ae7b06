import Foundation

/// Reads `model.vocab` of a tokenizer.json straight from its bytes, token by token as written.
///
/// Foundation's JSON readers can't be used for it: they key objects by Swift `String`, whose equality is
/// canonical equivalence, so two tokens differing only in Unicode normalization ("é" precomposed and "e" plus a
/// combining acute, both in some cased vocabularies) would collapse into one and an id would be lost. HF's map
/// compares bytes. This reader walks the document just enough to find that one object (it is also twice as fast
/// as decoding it into a dictionary); the rest of the file is read with JSONDecoder.
enum TokenizerJSONVocabulary {
    private struct Malformed: Error {
        var message: String
    }

    /// The vocabulary's (token, id) pairs in file order, or nil when the file has no model.vocab object.
    /// - Throws: `LocalModelError.malformed`, naming `path`.
    static func read(_ data: Data, path: String) throws -> [(token: String, id: Int32)]? {
        do {
            return try data.withUnsafeBytes { raw in
                var reader = Reader(bytes: raw.bindMemory(to: UInt8.self))
                return try reader.vocabulary()
            }
        } catch let error as Malformed {
            throw LocalModelError(.malformed, path: path, message: error.message)
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        mutating func vocabulary() throws -> [(token: String, id: Int32)]? {
            var found: [(token: String, id: Int32)]?
            try object { key, reader in
                guard key == "model" else { return try reader.skipValue() }
                guard reader.peek() == UInt8(ascii: "{") else { return try reader.skipValue() }
                try reader.object { key, reader in
                    guard key == "vocab", reader.peek() == UInt8(ascii: "{") else { return try reader.skipValue() }
                    var pairs: [(token: String, id: Int32)] = []
                    try reader.object { token, reader in pairs.append((token, try reader.id())) }
                    found = pairs
                }
            }
            return found
        }

        /// Calls `member` with each key of the object starting here, positioned at its value, which it must consume.
        mutating func object(_ member: (String, inout Reader) throws -> Void) throws {
            try expect(UInt8(ascii: "{"))
            if peek() == UInt8(ascii: "}") {
                i += 1
                return
            }
            while true {
                let key = try string()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                try member(key, &self)
                skipWhitespace()
                guard i < bytes.count else { throw Malformed(message: "unexpected end of file") }
                i += 1
                if bytes[i - 1] == UInt8(ascii: "}") { return }
                guard bytes[i - 1] == UInt8(ascii: ",") else {
                    throw Malformed(message: "expected , or } at byte \(i - 1)")
                }
            }
        }

        mutating func skipValue() throws {
            switch peek() {
            case UInt8(ascii: "{"):
                try object { _, reader in try reader.skipValue() }
            case UInt8(ascii: "["):
                i += 1
                if peek() == UInt8(ascii: "]") {
                    i += 1
                    return
                }
                while true {
                    try skipValue()
                    skipWhitespace()
                    guard i < bytes.count else { throw Malformed(message: "unexpected end of file") }
                    i += 1
                    if bytes[i - 1] == UInt8(ascii: "]") { return }
                    guard bytes[i - 1] == UInt8(ascii: ",") else {
                        throw Malformed(message: "expected , or ] at byte \(i - 1)")
                    }
                }
            case UInt8(ascii: "\""):
                _ = try string()
            case nil:
                throw Malformed(message: "unexpected end of file")
            default:  // a number, true, false or null
                let start = i
                while i < bytes.count, !Self.delimiters.contains(bytes[i]) { i += 1 }
                if i == start { throw Malformed(message: "unexpected character at byte \(i)") }
            }
        }

        /// A vocabulary id: a non-negative integer that fits an Int32.
        mutating func id() throws -> Int32 {
            let start = i
            var value: Int64 = 0
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9"),
                value <= Int64(Int32.max)
            {
                value = value * 10 + Int64(bytes[i] - UInt8(ascii: "0"))
                i += 1
            }
            guard i > start, value <= Int64(Int32.max), i == bytes.count || Self.delimiters.contains(bytes[i]) else {
                throw Malformed(message: "model.vocab holds something other than a token id at byte \(start)")
            }
            return Int32(value)
        }

        mutating func string() throws -> String {
            try expect(UInt8(ascii: "\""))
            var utf8: [UInt8] = []
            while i < bytes.count {
                let byte = bytes[i]
                i += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: utf8, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard i < bytes.count else { break }
                    let escape = bytes[i]
                    i += 1
                    switch escape {
                    case UInt8(ascii: "b"): utf8.append(0x08)
                    case UInt8(ascii: "f"): utf8.append(0x0C)
                    case UInt8(ascii: "n"): utf8.append(0x0A)
                    case UInt8(ascii: "r"): utf8.append(0x0D)
                    case UInt8(ascii: "t"): utf8.append(0x09)
                    case UInt8(ascii: "u"):
                        var value = try hex4()
                        // A surrogate pair stands for one scalar outside the basic plane.
                        if (0xD800..<0xDC00).contains(value), bytes.count - i >= 6, bytes[i] == UInt8(ascii: "\\"),
                            bytes[i + 1] == UInt8(ascii: "u")
                        {
                            i += 2
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else {
                                throw Malformed(message: "bad surrogate pair at byte \(i)")
                            }
                            value = 0x1_0000 + (value - 0xD800) << 10 + (low - 0xDC00)
                        }
                        utf8.append(contentsOf: String(Unicode.Scalar(value).map(Character.init) ?? "\u{FFFD}").utf8)
                    default: utf8.append(escape)  // \" \\ \/
                    }
                default:
                    utf8.append(byte)
                }
            }
            throw Malformed(message: "unterminated string")
        }

        mutating func hex4() throws -> UInt32 {
            guard bytes.count - i >= 4 else { throw Malformed(message: "unexpected end of file") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let digit = Character(Unicode.Scalar(bytes[i])).hexDigitValue else {
                    throw Malformed(message: "bad \\u escape at byte \(i)")
                }
                value = value << 4 | UInt32(digit)
                i += 1
            }
            return value
        }

        mutating func expect(_ byte: UInt8) throws {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == byte else {
                throw Malformed(message: "expected \(Character(Unicode.Scalar(byte))) at byte \(i)")
            }
            i += 1
        }

        mutating func peek() -> UInt8? {
            skipWhitespace()
            return i < bytes.count ? bytes[i] : nil
        }

        mutating func skipWhitespace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 {
                i += 1
            }
        }

        private static let delimiters: Set<UInt8> = [
            UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09,
        ]
    }
}
