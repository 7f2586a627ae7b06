/// The text form of a one-dimensional array (`{"a","b",NULL}`), to pass many values as one text parameter
/// (`$1::text[]`): one statement for thousands of keys, without building SQL from values.
enum PostgresArrayLiteral {
    /// Every element quoted, `\` and `"` escaped; nil is NULL.
    static func make<S: Sequence>(_ values: S) -> String where S.Element == String? {
        var out = "{"
        var first = true
        for value in values {
            if !first { out += "," }
            first = false
            guard let value else { out += "NULL"; continue }
            out += "\""
            for character in value.unicodeScalars {
                if character == "\\" || character == "\"" { out += "\\" }
                out.unicodeScalars.append(character)
            }
            out += "\""
        }
        return out + "}"
    }

    static func make<S: Sequence>(_ values: S) -> String where S.Element == String {
        make(values.lazy.map { Optional($0) })
    }

    /// A bytea element in hex form (`\x0a1b…`), for a `bytea[]` literal.
    static func hexBytea(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        out.reserveCapacity(2 + bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
