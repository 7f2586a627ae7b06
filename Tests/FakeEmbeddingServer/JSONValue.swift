/// A tiny JSON writer. The fake writes its own JSON rather than using an encoder because some faults need text no
/// encoder produces (`NaN`, `1e999`, a body cut in half) and floats must print in their shortest exact form.
enum JSONValue {
    case null
    case bool(Bool)
    case int(Int)
    case float(Float)
    /// Emitted verbatim: used for the deliberately invalid numbers.
    case raw(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The UTF-8 text. Written as bytes: a response of 64 base64 vectors is about 130 kB, and building it as a
    /// String one scalar at a time cost the fake more CPU than seeder spends on the same request.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .int(let i): out += String(i).utf8
        case .float(let f): out += (f.isFinite ? "\(f)" : "null").utf8
        case .raw(let r): out += r.utf8
        case .string(let s): JSONValue.quote(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in fields.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.quote(key, into: &out)
                out.append(UInt8(ascii: ":"))
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func quote(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        defer { out.append(UInt8(ascii: "\"")) }
        // Most strings (base64 vectors, model names) need no escape: copy them whole.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: s.utf8)
            return
        }
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += #"\""#.utf8
            case UInt8(ascii: "\\"): out += #"\\"#.utf8
            case UInt8(ascii: "\n"): out += #"\n"#.utf8
            case UInt8(ascii: "\r"): out += #"\r"#.utf8
            case UInt8(ascii: "\t"): out += #"\t"#.utf8
            case 0..<0x20:
                let hex = String(byte, radix: 16)
                out += ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8
            default:
                // Bytes of multi-byte scalars are copied as they are: JSON text is UTF-8.
                out.append(byte)
            }
        }
    }
}
