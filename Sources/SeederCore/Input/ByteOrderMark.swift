/// Byte-order marks at the start of a text file: a UTF-8 one is dropped, a UTF-16 or UTF-32 one is refused
/// with a message saying how to convert the file (every text source reads UTF-8 only).
enum ByteOrderMark {
    /// The UTF-8 byte-order mark (EF BB BF), which some editors write at the start of a file.
    static let utf8: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The length of the UTF-8 byte-order mark at the start of `prefix` (3), or 0 when there is none.
    static func utf8Length<C: Collection>(_ prefix: C) -> Int where C.Element == UInt8 {
        prefix.starts(with: utf8) ? 3 : 0
    }

    /// Throws ``SourceError`` (`.wrongFormat`) when `prefix`, the first bytes of the file, starts with a UTF-16
    /// (FF FE, FE FF) or UTF-32 byte-order mark.
    static func rejectWideEncodings<C: Collection>(_ prefix: C, path: String) throws where C.Element == UInt8 {
        let encoding: String
        if prefix.starts(with: [0x00, 0x00, 0xFE, 0xFF] as [UInt8]) {
            encoding = "UTF-32BE"
        } else if prefix.starts(with: [0xFF, 0xFE, 0x00, 0x00] as [UInt8]) {
            encoding = "UTF-32LE"
        } else if prefix.starts(with: [0xFF, 0xFE] as [UInt8]) {
            encoding = "UTF-16LE"
        } else if prefix.starts(with: [0xFE, 0xFF] as [UInt8]) {
            encoding = "UTF-16BE"
        } else {
            return
        }
        throw SourceError(.wrongFormat, file: path, position: "byte 0",
                          message: "the file is \(encoding) text (it starts with a \(encoding) byte-order mark); only UTF-8 is read",
                          hint: "convert it to UTF-8 first, e.g. iconv -f \(encoding.hasPrefix("UTF-16") ? "UTF-16" : "UTF-32") -t UTF-8 in.txt > out.txt")
    }
}
