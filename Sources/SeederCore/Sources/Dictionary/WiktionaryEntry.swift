/// The parts of one wiktextract JSON line (one word, one part of speech, one language) that records are made
/// of; every other member is skipped unread.
///
/// Language editions and wiktextract versions differ, so nothing but `word` is required and members of an
/// unexpected type are ignored rather than fatal.
struct WiktionaryEntry {
    /// One sense of the entry.
    struct Sense {
        var glosses: [String]?
        var rawGlosses: [String]?
        var gloss: String?
        var tags: [String] = []
        var id: String?
    }

    var word: String?
    /// True when `word` is present but not a string.
    var wordHasWrongType = false
    var pos: String?
    var posTitle: String?
    var lang: String?
    var langCode: String?
    var etymologyNumber: Int?
    /// nil when the entry has no `senses` array.
    var senses: [Sense]?

    /// Why a line is not an entry.
    enum ParseError: Error {
        /// The top-level value is not an object; names what it is ("an array").
        case notAnObject(String)
        /// The line is not valid JSON.
        case json(JSONReadError)
    }

    /// Parses one line (valid UTF-8).
    static func parse(_ line: ArraySlice<UInt8>) -> Result<WiktionaryEntry, ParseError> {
        line.withUnsafeBytes { raw in
            var reader = JSONByteReader(raw)
            do throws(JSONReadError) {
                let first = reader.peekValue()
                guard first == UInt8(ascii: "{") else {
                    // Say what it is when the line is valid JSON; otherwise the JSON error says more.
                    try reader.skipValue()
                    try reader.finish()
                    return .failure(.notAnObject(JSONByteReader.kindName(startingWith: first)))
                }
                var entry = WiktionaryEntry()
                try reader.beginObject()
                while let key = try reader.nextKey() {
                    switch key {
                    case "word":
                        entry.word = try readString(&reader)
                        entry.wordHasWrongType = entry.word == nil
                    case "pos": entry.pos = try readString(&reader)
                    case "pos_title": entry.posTitle = try readString(&reader)
                    case "lang": entry.lang = try readString(&reader)
                    case "lang_code": entry.langCode = try readString(&reader)
                    case "etymology_number":
                        if let byte = reader.peekValue(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                            entry.etymologyNumber = try reader.readInt()
                        } else {
                            try reader.skipValue()
                        }
                    case "senses":
                        guard reader.peekValue() == UInt8(ascii: "[") else {
                            try reader.skipValue()
                            break
                        }
                        var senses: [Sense] = []
                        try reader.beginArray()
                        while try reader.nextElement() {
                            senses.append(try readSense(&reader))
                        }
                        entry.senses = senses
                    default:
                        try reader.skipValue()
                    }
                }
                try reader.finish()
                return .success(entry)
            } catch {
                return .failure(.json(error))
            }
        }
    }

    /// A sense object; any other value is skipped and makes a sense without a gloss.
    private static func readSense(_ reader: inout JSONByteReader) throws(JSONReadError) -> Sense {
        var sense = Sense()
        guard reader.peekValue() == UInt8(ascii: "{") else {
            try reader.skipValue()
            return sense
        }
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "glosses": sense.glosses = try readStrings(&reader)
            case "raw_glosses": sense.rawGlosses = try readStrings(&reader)
            case "gloss": sense.gloss = try readString(&reader)
            case "tags": sense.tags = try readStrings(&reader) ?? []
            case "id": sense.id = try readString(&reader)
            default: try reader.skipValue()
            }
        }
        return sense
    }

    /// A string value, or nil (the value skipped) when it is something else.
    private static func readString(_ reader: inout JSONByteReader) throws(JSONReadError) -> String? {
        if reader.peekValue() == UInt8(ascii: "\"") { return try reader.readString() }
        try reader.skipValue()
        return nil
    }

    /// The strings of an array (other elements skipped), or nil when the value is not an array.
    private static func readStrings(_ reader: inout JSONByteReader) throws(JSONReadError) -> [String]? {
        guard reader.peekValue() == UInt8(ascii: "[") else {
            try reader.skipValue()
            return nil
        }
        var strings: [String] = []
        try reader.beginArray()
        while try reader.nextElement() {
            if let string = try readString(&reader) { strings.append(string) }
        }
        return strings
    }
}
