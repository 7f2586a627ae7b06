/// Float32 values from standard base64 (RFC 4648 §4, padded, no whitespace) of their little-endian bytes, decoded
/// straight into the array: OpenAI's `encoding_format: "base64"`. `Data(base64Encoded:)` and a copy per vector cost
/// as much as parsing the same floats from JSON numbers.
enum Base64Floats {
    /// The values, or nil when `text` isn't base64 of a whole number of float32s.
    static func decode(_ text: UnsafeBufferPointer<UInt8>) -> [Float]? {
        let n = text.count
        guard n % 4 == 0 else { return nil }
        guard n > 0 else { return [] }
        let padding = text[n - 1] != UInt8(ascii: "=") ? 0 : text[n - 2] != UInt8(ascii: "=") ? 1 : 2
        let byteCount = n / 4 * 3 - padding
        guard byteCount % 4 == 0 else { return nil }
        var valid = true
        let values = [Float](unsafeUninitializedCapacity: byteCount / 4) { buffer, initialized in
            let out = UnsafeMutableRawBufferPointer(buffer)
            Self.table.withUnsafeBufferPointer { table in
                var o = 0
                var i = 0
                // Whole quads; the last one, if padded, below. '=' is invalid in the table, so padding anywhere
                // else is refused.
                let whole = padding == 0 ? n : n - 4
                while i < whole {
                    let a = table[Int(text[i])], b = table[Int(text[i + 1])], c = table[Int(text[i + 2])], d = table[Int(text[i + 3])]
                    guard (a | b | c | d) & 0x80 == 0 else { valid = false; return }
                    let triple = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    out[o] = UInt8(truncatingIfNeeded: triple >> 16)
                    out[o + 1] = UInt8(truncatingIfNeeded: triple >> 8)
                    out[o + 2] = UInt8(truncatingIfNeeded: triple)
                    o += 3
                    i += 4
                }
                guard padding > 0 else { return }
                let a = table[Int(text[i])], b = table[Int(text[i + 1])], c = padding == 1 ? table[Int(text[i + 2])] : 0
                guard (a | b | c) & 0x80 == 0 else { valid = false; return }
                let triple = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
                out[o] = UInt8(truncatingIfNeeded: triple >> 16)
                if padding == 1 { out[o + 1] = UInt8(truncatingIfNeeded: triple >> 8) }
            }
            initialized = valid ? byteCount / 4 : 0
        }
        guard valid else { return nil }
        #if _endian(big)
        return values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
        #else
        return values
        #endif
    }

    /// Each byte's 6-bit value; 0xFF for bytes outside the alphabet (including '=').
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = UInt8(value)
        }
        return table
    }()
}
