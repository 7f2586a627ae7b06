extension String {
    /// The string without leading and trailing white space (as ``UTF8Text/trimmedRange(_:droppingPrefix:)`` sees it:
    /// ASCII and Unicode spaces, no-break and zero-width spaces, byte-order marks).
    var trimmingWhiteSpace: String {
        let bytes = Array(utf8)
        let range = UTF8Text.trimmedRange(bytes, droppingPrefix: [])
        if range.count == bytes.count { return self }
        return String(decoding: bytes[range], as: UTF8.self)
    }
}
