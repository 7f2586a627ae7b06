/// A column of a CSV or TSV file, by header name (compared case-insensitively, trimmed) or 0-based index.
public enum CSVColumn: Sendable, Equatable, CustomStringConvertible {
    case name(String)
    case index(Int)

    public var description: String {
        switch self {
        case .name(let name): return "column \"\(name)\""
        case .index(let index): return "column \(index)"
        }
    }

    /// The 0-based index of this column in `header` (nil: the file has no header row). Throws ``SourceError``
    /// (`.wrongFormat`) for a name without a header or not in it, and for a negative index.
    func resolve(in header: [String]?, path: String, option: String) throws -> Int {
        switch self {
        case .index(let index):
            guard index >= 0 else {
                throw SourceError(.wrongFormat, file: path, message: "\(option): column index \(index) is negative",
                                  hint: "columns are numbered from 0")
            }
            return index
        case .name(let name):
            guard let header else {
                throw SourceError(.wrongFormat, file: path,
                                  message: "\(option) names the column \"\(name)\", but the file is read without a header row",
                                  hint: "give the column's 0-based index, or read the first row as the header")
            }
            let wanted = name.trimmingWhiteSpace.lowercased()
            guard let index = header.firstIndex(where: { $0.trimmingWhiteSpace.lowercased() == wanted }) else {
                let names = header.prefix(20).map { "\"\($0)\"" }.joined(separator: ", ")
                throw SourceError(.wrongFormat, file: path, position: "line 1",
                                  message: "\(option): no column \"\(name)\" in the header row (it has \(names))",
                                  hint: "use one of the header's names or a 0-based column index")
            }
            return index
        }
    }

    /// The delimiter byte for `character`; throws ``SourceError`` unless it is a single ASCII character other than
    /// a quote or a line break.
    static func delimiterByte(_ character: Character, path: String) throws -> UInt8 {
        guard let ascii = character.asciiValue, ascii != 0x22, ascii != 0x0A, ascii != 0x0D else {
            throw SourceError(.wrongFormat, file: path, message: "the delimiter \"\(character)\" is not usable",
                              hint: "use a single ASCII character such as \",\", \";\" or a tab")
        }
        return ascii
    }
}
