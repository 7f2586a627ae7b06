extension JSONByteReader {
    /// What a JSON value starting with `first` is, for messages: "an object", "an array", "a string", "a boolean",
    /// "null", "a number", or "nothing" at the end of the input.
    static func kindName(startingWith first: UInt8?) -> String {
        switch first {
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
        case UInt8(ascii: "n"): return "null"
        case nil: return "nothing"
        default: return "a number"
        }
    }
}
