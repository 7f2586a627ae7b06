extension UTF8Text {
    /// Whether `bytes` are well-formed UTF-8 (checked 8 ASCII bytes at a time; see ``UTF8Sanitizer``).
    static func isValid(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes { UTF8Sanitizer.validPrefix($0) == $0.count }
    }

    /// Whether `bytes` are only white space (or nothing).
    static func isBlank(_ bytes: ArraySlice<UInt8>) -> Bool {
        // Almost every line starts with a visible ASCII character: answer without copying.
        if let first = bytes.first, first > 0x20, first < 0x80 { return false }
        let array = Array(bytes)
        return trimmedRange(array, droppingPrefix: []).isEmpty
    }
}
