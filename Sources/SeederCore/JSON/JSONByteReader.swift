import Foundation

/// A strict, pull-style JSON reader over a body's bytes, for the few shapes embedding servers answer with.
///
/// Foundation's `JSONDecoder` spends about 0.6 µs on each number of a float response, which makes seeder CPU-bound
/// against fast servers; this reader parses numbers straight into `Float` (a few ns each) and skips what it isn't
/// asked for. It accepts exactly RFC 8259 JSON: no `NaN`, `Infinity`, leading zeros, `+1`, `1.`, `.5`, comments,
/// trailing commas, control characters or invalid UTF-8 in strings.
///
/// It borrows `bytes` and owns nothing: it must not outlive the `withUnsafeBytes` call that lent them. Every read
/// checks the offset against the end, so nothing is read past the body.
struct JSONByteReader {
    /// Containers deeper than this are refused: skipping unknown values recurses once per level.
    static let maxDepth = 256

    private let bytes: UnsafeBufferPointer<UInt8>
    /// The next byte to read.
    private(set) var offset = 0
    /// Where the reader is, for errors: `data[3].embedding`.
    private var path: [PathComponent] = []

    private enum PathComponent {
        /// An object before its first key.
        case objectStart
        /// An object's member.
        case key(String)
        /// An object after a comma, before the next key.
        case afterComma
        /// An element; -1 before the first one.
        case index(Int)
    }

    init(_ raw: UnsafeRawBufferPointer) {
        // Bytes are bytes: viewing raw memory as UInt8 needs no binding.
        bytes = raw.count == 0 ? UnsafeBufferPointer(start: nil, count: 0) : raw.assumingMemoryBound(to: UInt8.self)
    }

    // MARK: - Structure

    /// Consumes `{`.
    mutating func beginObject() throws(JSONReadError) {
        try expect(UInt8(ascii: "{"), "an object")
        try push(.objectStart)
    }

    /// The next member's key, with the reader on its value; nil after the closing `}`.
    mutating func nextKey() throws(JSONReadError) -> String? {
        let first: Bool
        switch path.last {
        case .objectStart: first = true
        case .key: first = false
        default: preconditionFailure("nextKey outside an object")
        }
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            offset += 1
            path.removeLast()
            return nil
        }
        if !first {
            guard peek() == UInt8(ascii: ",") else { throw error("expected ',' or '}' after a member") }
            offset += 1
            path[path.count - 1] = .afterComma
            skipWhitespace()
        }
        guard peek() == UInt8(ascii: "\"") else { throw error(first ? "expected a key or '}'" : "expected a key") }
        let key = try readString()
        path[path.count - 1] = .key(key)
        skipWhitespace()
        guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after the key") }
        offset += 1
        skipWhitespace()
        return key
    }

    /// Consumes `[`.
    mutating func beginArray() throws(JSONReadError) {
        try expect(UInt8(ascii: "["), "an array")
        try push(.index(-1))
    }

    /// Moves to the next element and returns true, or consumes the closing `]` and returns false.
    mutating func nextElement() throws(JSONReadError) -> Bool {
        guard case .index(let previous) = path.last else { preconditionFailure("nextElement outside an array") }
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            offset += 1
            path.removeLast()
            return false
        }
        if previous >= 0 {
            guard peek() == UInt8(ascii: ",") else { throw error("expected ',' or ']' after an element") }
            offset += 1
            skipWhitespace()
        }
        path[path.count - 1] = .index(previous + 1)
        return true
    }

    /// Consumes `null` if it is next; the reader stays put otherwise.
    mutating func readNull() -> Bool {
        skipWhitespace()
        guard matches("null") else { return false }
        offset += 4
        return true
    }

    /// Checks that only whitespace follows the top-level value.
    mutating func finish() throws(JSONReadError) {
        skipWhitespace()
        guard offset == bytes.count else { throw error("expected the end of the body after the top-level value") }
    }

    /// Skips one value of any kind, nested containers included.
    mutating func skipValue() throws(JSONReadError) {
        skipWhitespace()
        guard let byte = peek() else { throw error("expected a value, found the end of the body") }
        switch byte {
        case UInt8(ascii: "{"):
            try beginObject()
            while try nextKey() != nil { try skipValue() }
        case UInt8(ascii: "["):
            try beginArray()
            while try nextElement() { try skipValue() }
        case UInt8(ascii: "\""):
            _ = try scanString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            for literal in ["true", "false", "null"] where matches(literal) {
                offset += literal.utf8.count
                return
            }
            throw error("expected a value")
        default:
            _ = try scanNumber()
        }
    }

    // MARK: - Values

    /// A string value, escapes decoded.
    mutating func readString() throws(JSONReadError) -> String {
        switch try scanString() {
        case .raw(let range): String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        case .decoded(let utf8): String(decoding: utf8, as: UTF8.self)
        }
    }

    /// A string of base64 (escapes decoded) as little-endian float32 values; nil when it isn't that.
    mutating func readBase64Floats() throws(JSONReadError) -> [Float]? {
        switch try scanString() {
        case .raw(let range): Base64Floats.decode(UnsafeBufferPointer(rebasing: bytes[range]))
        case .decoded(let utf8): utf8.withUnsafeBufferPointer { Base64Floats.decode($0) }
        }
    }

    /// An integer: JSON's number grammar without fraction or exponent, within `Int`.
    mutating func readInt() throws(JSONReadError) -> Int {
        skipWhitespace()
        let start = offset
        let number = try scanNumber()
        guard !number.hasFractionOrExponent else { throw error("expected an integer", at: start) }
        guard let value = Int(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)) else {
            throw error("integer out of range", at: start)
        }
        return value
    }

    /// A number, rounded to the nearest `Float` exactly as `Float(String)` rounds it; beyond the range it is ±inf
    /// (callers that need finite values check).
    mutating func readFloat() throws(JSONReadError) -> Float {
        skipWhitespace()
        return try scanNumber().value
    }

    /// An array of numbers, appended to `values`. The hot loop of float responses: no path bookkeeping per element.
    mutating func readFloats(into values: inout [Float]) throws(JSONReadError) {
        try beginArray()
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            offset += 1
            path.removeLast()
            return
        }
        var index = 0
        while true {
            do {
                values.append(try scanNumber().value)
            } catch {
                // Where: the element's index goes into the path only now, off the hot path.
                path[path.count - 1] = .index(index)
                throw self.error(error.message, at: error.offset)
            }
            skipWhitespace()
            guard let byte = peek() else {
                path[path.count - 1] = .index(index)
                throw error("expected ',' or ']' after an element, found the end of the body")
            }
            offset += 1
            if byte == UInt8(ascii: "]") { break }
            guard byte == UInt8(ascii: ",") else {
                offset -= 1
                path[path.count - 1] = .index(index)
                throw error("expected ',' or ']' after an element")
            }
            index += 1
            skipWhitespace()
        }
        path.removeLast()
    }

    /// The next significant byte, without consuming it; nil at the end.
    mutating func peekValue() -> UInt8? {
        skipWhitespace()
        return peek()
    }

    // MARK: - Errors

    /// An error at the reader's place: `data[3].embedding[17]: expected a number, found 'N' at byte 1234`.
    func error(_ message: String, at position: Int? = nil) -> JSONReadError {
        let position = position ?? offset
        var found = "the end of the body"
        if position < bytes.count {
            let byte = bytes[position]
            found = (0x20..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16, uppercase: true))"
        }
        return JSONReadError(message: message, path: pathText, description: "\(pathText): \(message), found \(found) at byte \(position)", offset: position)
    }

    /// A required member that the object just closed did not have: `data[0].embedding is missing`.
    func missing(_ key: String) -> JSONReadError {
        let path = pathText == "the top level" ? key : "\(pathText).\(key)"
        return JSONReadError(message: "is missing", path: path, description: "\(path) is missing (the object ends at byte \(offset - 1))", offset: offset - 1)
    }

    /// `data[3].embedding`, or `the top level`.
    private var pathText: String {
        var text = ""
        for component in path {
            switch component {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let index) where index >= 0: text += "[\(index)]"
            case .objectStart, .afterComma, .index: break
            }
        }
        return text.isEmpty ? "the top level" : text
    }

    // MARK: - Bytes

    private func peek() -> UInt8? {
        offset < bytes.count ? bytes[offset] : nil
    }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0A, 0x0D, 0x09: offset += 1
            default: return
            }
        }
    }

    private func matches(_ literal: String) -> Bool {
        var i = offset
        for byte in literal.utf8 {
            guard i < bytes.count, bytes[i] == byte else { return false }
            i += 1
        }
        return true
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(JSONReadError) {
        skipWhitespace()
        guard peek() == byte else { throw error("expected \(what)") }
        offset += 1
    }

    private mutating func push(_ component: PathComponent) throws(JSONReadError) {
        guard path.count < Self.maxDepth else { throw error("nested deeper than \(Self.maxDepth) levels", at: offset - 1) }
        path.append(component)
    }

    // MARK: - Strings

    private enum ScannedString {
        /// No escapes: the bytes between the quotes.
        case raw(Range<Int>)
        case decoded([UInt8])
    }

    /// Reads a string starting at its opening quote: escapes decoded, UTF-8 checked.
    private mutating func scanString() throws(JSONReadError) -> ScannedString {
        guard peek() == UInt8(ascii: "\"") else { throw error("expected a string") }
        offset += 1
        let start = offset
        var decoded: [UInt8]? = nil
        var ascii = true
        var segmentStart = start
        while true {
            guard offset < bytes.count else { throw error("unterminated string", at: start - 1) }
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let segment = UnsafeBufferPointer(rebasing: bytes[segmentStart..<offset])
                if !ascii, String(validating: segment, as: UTF8.self) == nil { throw error("invalid UTF-8 in a string", at: start - 1) }
                offset += 1
                guard var utf8 = decoded else { return .raw(start..<(offset - 1)) }
                utf8.append(contentsOf: segment)
                return .decoded(utf8)
            }
            if byte < 0x20 { throw error("control character in a string (must be escaped)") }
            if byte >= 0x80 { ascii = false }
            guard byte == UInt8(ascii: "\\") else {
                offset += 1
                continue
            }
            // An escape: flush the plain segment before it (checked), then decode it.
            let segment = UnsafeBufferPointer(rebasing: bytes[segmentStart..<offset])
            if !ascii, String(validating: segment, as: UTF8.self) == nil { throw error("invalid UTF-8 in a string", at: start - 1) }
            ascii = true
            var utf8 = decoded ?? []
            decoded = nil
            utf8.append(contentsOf: segment)
            try decodeEscape(into: &utf8)
            decoded = utf8
            segmentStart = offset
        }
    }

    /// Decodes the escape at `offset` (a backslash) into UTF-8.
    private mutating func decodeEscape(into utf8: inout [UInt8]) throws(JSONReadError) {
        let escapeStart = offset
        guard offset + 1 < bytes.count else { throw error("unterminated escape in a string") }
        let letter = bytes[offset + 1]
        offset += 2
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(letter)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low one.
                guard matches("\\u") else { throw error("unpaired surrogate \\u\(String(scalar, radix: 16)) in a string", at: escapeStart) }
                offset += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate \\u\(String(scalar, radix: 16)) in a string", at: escapeStart) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw error("unpaired surrogate \\u\(String(scalar, radix: 16)) in a string", at: escapeStart)
            }
            utf8.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(scalar)!)!)
        default:
            throw error("invalid escape in a string", at: escapeStart + 1)
        }
    }

    private mutating func hex4() throws(JSONReadError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard offset < bytes.count else { throw error("expected 4 hex digits after \\u") }
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("expected 4 hex digits after \\u")
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    // MARK: - Numbers

    private struct ScannedNumber {
        var value: Float
        var hasFractionOrExponent: Bool
    }

    /// Exact powers of ten as Double (10^22 is the last one a Double holds exactly).
    private static let powersOfTen: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
                                                 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

    /// Reads a number at `offset` (RFC 8259 grammar) and converts it.
    ///
    /// Fast path (Clinger): with at most 19 significant digits `w` ≤ 2^53 and a power of ten `e` with |e| ≤ 22, `w`
    /// and 10^|e| are exact Doubles, so one multiplication or division gives the correctly rounded Double. Rounding
    /// that Double to Float again is the correctly rounded Float unless the Double sits exactly halfway between two
    /// Floats (double rounding) or outside the normal Float range; those, and everything else, go to `Float(String)`.
    private mutating func scanNumber() throws(JSONReadError) -> ScannedNumber {
        let start = offset
        var i = offset
        let count = bytes.count
        @inline(__always) func digit(_ at: Int) -> UInt64? {
            guard at < count else { return nil }
            let d = bytes[at] &- UInt8(ascii: "0")
            return d < 10 ? UInt64(d) : nil
        }
        var negative = false
        if i < count, bytes[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        var mantissa: UInt64 = 0
        var significant = 0
        var exponent = 0
        var exact = true
        guard let first = digit(i) else {
            throw error(start == i ? "expected a number" : "expected a digit after '-'", at: i)
        }
        i += 1
        if first == 0 {
            if digit(i) != nil { throw error("leading zero in a number", at: start) }
        } else {
            mantissa = first
            significant = 1
            while let d = digit(i) {
                if significant < 19 {
                    mantissa = mantissa &* 10 &+ d
                    significant += 1
                } else {
                    exponent += 1
                    exact = false
                }
                i += 1
            }
        }
        var fractionOrExponent = false
        if i < count, bytes[i] == UInt8(ascii: ".") {
            fractionOrExponent = true
            i += 1
            guard digit(i) != nil else { throw error("expected a digit after '.'", at: i) }
            while let d = digit(i) {
                if significant < 19 {
                    mantissa = mantissa &* 10 &+ d
                    exponent -= 1
                    if mantissa != 0 { significant += 1 }
                } else {
                    exact = false
                }
                i += 1
            }
        }
        if i < count, bytes[i] | 0x20 == UInt8(ascii: "e") {
            fractionOrExponent = true
            i += 1
            var exponentNegative = false
            if i < count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            guard digit(i) != nil else { throw error("expected a digit in the exponent", at: i) }
            var written = 0
            while let d = digit(i) {
                // Beyond a million the value is 0 or inf whatever the digits; stop before Int overflows.
                if written < 1_000_000 { written = written * 10 + Int(d) } else { exact = false }
                i += 1
            }
            exponent += exponentNegative ? -written : written
        }
        offset = i
        if exact, mantissa <= 1 << 53, (-22...22).contains(exponent) {
            if mantissa == 0 { return ScannedNumber(value: negative ? -0.0 : 0, hasFractionOrExponent: fractionOrExponent) }
            var value = Double(mantissa)
            value = exponent < 0 ? value / Self.powersOfTen[-exponent] : value * Self.powersOfTen[exponent]
            let magnitude = value.magnitude
            let halfway = value.bitPattern & 0x1FFF_FFFF == 0x1000_0000
            if magnitude >= Double(Float.leastNormalMagnitude), magnitude < Double(Float.greatestFiniteMagnitude), !halfway {
                let float = Float(value)
                return ScannedNumber(value: negative ? -float : float, hasFractionOrExponent: fractionOrExponent)
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        guard let value = Float(text) else { throw error("number \(text.prefix(40)) is not representable", at: start) }
        return ScannedNumber(value: value, hasFractionOrExponent: fractionOrExponent)
    }
}

/// What was wrong with a JSON body, and where.
struct JSONReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was expected: `expected a number`.
    var message: String
    /// `data[3].embedding[17]`, or `the top level`.
    var path: String
    /// The whole line: path, message, the byte found and its offset.
    var description: String
    var offset: Int
}
