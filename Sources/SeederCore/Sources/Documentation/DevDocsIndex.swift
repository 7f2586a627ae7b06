/// A DevDocs docset's metadata: `meta.json` (name, slug) and `index.json` (the entries, each naming a page or an
/// anchor in a page). Both files are small (index.json is a few MB for the largest docsets) and read whole.
struct DevDocsIndex {
    /// One entry of `index.json`: `{"name": "Array.prototype.map()", "path": "global_objects/array/map#syntax", "type": …}`.
    struct Entry: Equatable {
        var name: String
        /// The whole path as written (`page#anchor`).
        var path: String
        /// The page: `path` before its first `#`.
        var page: String
        /// The anchor after `#`; nil when the entry names the page's top.
        var anchor: String?
    }

    /// `meta.json`'s `name` (e.g. "Axios"), nil when absent.
    var name: String?
    /// `meta.json`'s `slug` (e.g. "axios", "python~3.12"), nil when absent.
    var slug: String?
    /// The usable entries, in index.json order.
    var entries: [Entry] = []
    /// Entries lacking a string `name` or `path` (their position and what is wrong), in order.
    var malformedEntries: [(index: Int, problem: String)] = []

    /// Reads `meta.json` (optional) and `index.json` (required) from `directory`.
    static func load(directory: String) throws -> DevDocsIndex {
        var index = DevDocsIndex()
        let metaPath = directory + "/meta.json"
        if let meta = try? MappedFile(path: metaPath) {
            try parse(meta) { (reader: inout JSONByteReader) throws(JSONReadError) in
                try reader.beginObject()
                while let key = try reader.nextKey() {
                    if (key == "name" || key == "slug"), reader.peekValue() == UInt8(ascii: "\"") {
                        let value = try reader.readString()
                        if key == "name" { index.name = value } else { index.slug = value }
                    } else {
                        try reader.skipValue()
                    }
                }
                try reader.finish()
            }
        }
        let indexFile = try MappedFile(path: directory + "/index.json")
        try parse(indexFile) { (reader: inout JSONByteReader) throws(JSONReadError) in
            try reader.beginObject()
            while let key = try reader.nextKey() {
                guard key == "entries" else {
                    try reader.skipValue()
                    continue
                }
                try reader.beginArray()
                var position = 0
                while try reader.nextElement() {
                    defer { position += 1 }
                    guard reader.peekValue() == UInt8(ascii: "{") else {
                        try reader.skipValue()
                        index.malformedEntries.append((position, "is not an object"))
                        continue
                    }
                    var name: String?
                    var path: String?
                    try reader.beginObject()
                    while let field = try reader.nextKey() {
                        if (field == "name" || field == "path"), reader.peekValue() == UInt8(ascii: "\"") {
                            let value = try reader.readString()
                            if field == "name" { name = value } else { path = value }
                        } else {
                            try reader.skipValue()
                        }
                    }
                    guard let name, let path, !path.isEmpty else {
                        index.malformedEntries.append((position, name == nil ? "has no string \"name\"" : "has no (or an empty) string \"path\""))
                        continue
                    }
                    let parts = path.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                    let anchor = parts.count > 1 && !parts[1].isEmpty ? String(parts[1]) : nil
                    index.entries.append(Entry(name: name, path: path, page: String(parts[0]), anchor: anchor))
                }
            }
            try reader.finish()
        }
        return index
    }

    /// Runs `body` over the file's bytes, turning a JSON error into a ``SourceError`` with its byte offset.
    private static func parse(_ file: MappedFile, _ body: (inout JSONByteReader) throws(JSONReadError) -> Void) throws {
        guard file.bytes.count > 0 else {
            throw SourceError(.empty, file: file.path, message: "the file is empty", hint: "re-download the docset")
        }
        var reader = JSONByteReader(file.bytes)
        do {
            try body(&reader)
        } catch {
            throw SourceError(.malformedDocument, file: file.path, position: "byte \(error.offset)",
                              message: "not valid JSON: \(error.description)",
                              hint: "the docset is damaged; re-download it from DevDocs")
        }
    }
}
