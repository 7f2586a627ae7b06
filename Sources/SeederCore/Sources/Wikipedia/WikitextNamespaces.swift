/// The namespace names a wiki uses for categories and files (from the dump's `<siteinfo>`; localized wikis use
/// e.g. "Kategorie" and "Datei"), matched the way MediaWiki does: case-insensitively, `_` equal to a space,
/// spaces around the name ignored.
struct WikitextNamespaces: Sendable {
    private let categoryKeys: Set<String>
    private let fileKeys: Set<String>

    init(categories: [String], files: [String]) {
        categoryKeys = Set(categories.map { Self.key(Self.normalize(Array($0.utf8)[...])) })
        fileKeys = Set(files.map { Self.key(Self.normalize(Array($0.utf8)[...])) })
    }

    func isCategory(_ normalizedName: String) -> Bool { categoryKeys.contains(Self.key(normalizedName)) }
    func isFile(_ normalizedName: String) -> Bool { fileKeys.contains(Self.key(normalizedName)) }

    /// Fully lowercased, so other scripts (Категория / категория) match too; MediaWiki namespace names are
    /// case-insensitive, which includes the first letter.
    private static func key(_ name: String) -> String { name.lowercased() }

    /// `_` → space, runs of whitespace collapsed, trimmed, ASCII lowercased.
    static func normalize<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var pendingSpace = false
        for var b in bytes {
            if b == UInt8(ascii: "_") || b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n")
                || b == UInt8(ascii: "\r") {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.append(UInt8(ascii: " ")); pendingSpace = false }
            if b >= 0x41 && b <= 0x5A { b |= 0x20 }
            out.append(b)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
