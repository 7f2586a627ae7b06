import CLibXML2

/// Markdown inline markup → plain text, on one line's UTF-8 bytes.
///
/// Links `[label](url)`, `[label][ref]`, `[label][]` become their label, images their alt text; code spans keep
/// their code without the backticks; emphasis markers (`*`, `**`, `_`, `__`, `***`) are removed only when they
/// pair up as CommonMark delimiter runs, so `snake_case`, `2 * 3` and `*.md` are left alone; HTML tags and
/// comments are stripped, autolinks keep their address; entities are decoded (named ones through libxml2's
/// HTML entity table); backslash escapes give the character.
///
/// Every look-ahead for a closing bracket, backtick run or `>` is bounded, so a line of ten thousand `[` costs
/// a bounded amount per byte rather than a scan to the end each.
enum MarkdownInline {
    /// How far a link label, a destination, a code span or a tag may reach.
    static let labelLimit = 1_000
    static let destinationLimit = 2_000
    static let codeSpanLimit = 2_000
    static let tagLimit = 2_000

    /// The plain text of `line`.
    static func plain(_ line: String) -> String {
        var bytes = Array(line.utf8)
        bytes = render(bytes[...], depth: 0)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A run of `*` or `_` in the output, removable when paired.
    private struct Delimiter {
        var start: Int
        var length: Int
        var character: UInt8
        var canOpen: Bool
        var canClose: Bool
        var removed = false
    }

    static func render(_ s: ArraySlice<UInt8>, depth: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var delimiters: [Delimiter] = []
        var i = s.startIndex
        let end = s.endIndex
        while i < end {
            let c = s[i]
            switch c {
            case UInt8(ascii: "\\") where i + 1 < end && isPunctuation(s[i + 1]):
                out.append(s[i + 1])
                i += 2
            case UInt8(ascii: "`"):
                var run = i
                while run < end && s[run] == c { run += 1 }
                let n = run - i
                if let close = closingBackticks(s, from: run, count: n) {
                    var content = s[run..<close]
                    if content.count >= 2, content.first == 0x20, content.last == 0x20, content.contains(where: { $0 != 0x20 }) {
                        content = content.dropFirst().dropLast()
                    }
                    out.append(contentsOf: content)
                    i = close + n
                } else {
                    out.append(contentsOf: s[i..<run])
                    i = run
                }
            case UInt8(ascii: "!") where i + 1 < end && s[i + 1] == UInt8(ascii: "[") && depth < 8:
                if let (label, next) = link(s, at: i + 1) {
                    out.append(contentsOf: render(label, depth: depth + 1))
                    i = next
                } else {
                    out.append(c)
                    i += 1
                }
            case UInt8(ascii: "[") where depth < 8:
                if let (label, next) = link(s, at: i) {
                    out.append(contentsOf: render(label, depth: depth + 1))
                    i = next
                } else {
                    out.append(c)
                    i += 1
                }
            case UInt8(ascii: "<"):
                if let (kept, next) = angle(s, at: i) {
                    out.append(contentsOf: kept)
                    i = next
                } else {
                    out.append(c)
                    i += 1
                }
            case UInt8(ascii: "&"):
                if let (decoded, next) = entity(s, at: i) {
                    out.append(contentsOf: decoded)
                    i = next
                } else {
                    out.append(c)
                    i += 1
                }
            case UInt8(ascii: "*"), UInt8(ascii: "_"):
                var run = i
                while run < end && s[run] == c { run += 1 }
                let before: UInt8? = i > s.startIndex ? s[i - 1] : nil
                let after: UInt8? = run < end ? s[run] : nil
                let leftFlanking = !isSpace(after) && (!isPunctuation(after) || isSpace(before) || isPunctuation(before))
                let rightFlanking = !isSpace(before) && (!isPunctuation(before) || isSpace(after) || isPunctuation(after))
                var canOpen = leftFlanking
                var canClose = rightFlanking
                if c == UInt8(ascii: "_") {
                    canOpen = leftFlanking && (!rightFlanking || isPunctuation(before))
                    canClose = rightFlanking && (!leftFlanking || isPunctuation(after))
                }
                if run - i <= 3 && (canOpen || canClose) {
                    delimiters.append(Delimiter(start: out.count, length: run - i, character: c, canOpen: canOpen, canClose: canClose))
                }
                out.append(contentsOf: s[i..<run])
                i = run
            default:
                out.append(c)
                i += 1
            }
        }
        return removePairedDelimiters(out, delimiters)
    }

    /// Pairs each closer with the nearest open run of the same character and length, and drops both.
    private static func removePairedDelimiters(_ out: [UInt8], _ delimiters: [Delimiter]) -> [UInt8] {
        guard !delimiters.isEmpty else { return out }
        var runs = delimiters
        var open: [Int: [Int]] = [:] // key: character * 4 + length → indices of runs waiting for a closer
        var any = false
        for index in runs.indices {
            let key = Int(runs[index].character) * 4 + runs[index].length
            if runs[index].canClose, let opener = open[key]?.popLast() {
                runs[opener].removed = true
                runs[index].removed = true
                any = true
            } else if runs[index].canOpen {
                open[key, default: []].append(index)
            }
        }
        guard any else { return out }
        var result: [UInt8] = []
        result.reserveCapacity(out.count)
        var position = 0
        for run in runs where run.removed {
            result.append(contentsOf: out[position..<run.start])
            position = run.start + run.length
        }
        result.append(contentsOf: out[position...])
        return result
    }

    /// The end of the backtick run of exactly `count` that closes a code span opened before `from`.
    private static func closingBackticks(_ s: ArraySlice<UInt8>, from: Int, count: Int) -> Int? {
        var j = from
        let limit = min(s.endIndex, from + codeSpanLimit)
        while j < limit {
            if s[j] == UInt8(ascii: "`") {
                var run = j
                while run < s.endIndex && s[run] == UInt8(ascii: "`") { run += 1 }
                if run - j == count { return j }
                j = run
            } else {
                j += 1
            }
        }
        return nil
    }

    /// A link or image at `[`: its label and where the text resumes; nil when it is not one.
    private static func link(_ s: ArraySlice<UInt8>, at open: Int) -> (ArraySlice<UInt8>, Int)? {
        guard let close = matching(s, from: open, open: UInt8(ascii: "["), close: UInt8(ascii: "]"), limit: labelLimit) else { return nil }
        let label = s[(open + 1)..<close]
        let next = close + 1
        guard next < s.endIndex else { return nil }
        if s[next] == UInt8(ascii: "("),
           let end = matching(s, from: next, open: UInt8(ascii: "("), close: UInt8(ascii: ")"), limit: destinationLimit) {
            return (label, end + 1)
        }
        if s[next] == UInt8(ascii: "["),
           let end = matching(s, from: next, open: UInt8(ascii: "["), close: UInt8(ascii: "]"), limit: labelLimit) {
            return (label, end + 1)
        }
        return nil
    }

    /// The index of the bracket closing the one at `from`, honouring nesting and backslash escapes.
    private static func matching(_ s: ArraySlice<UInt8>, from: Int, open: UInt8, close: UInt8, limit: Int) -> Int? {
        var depth = 0
        var j = from
        let end = min(s.endIndex, from + limit)
        while j < end {
            let c = s[j]
            if c == UInt8(ascii: "\\") {
                j += 2
                continue
            }
            if c == open {
                depth += 1
            } else if c == close {
                depth -= 1
                if depth == 0 { return j }
            }
            j += 1
        }
        return nil
    }

    /// At `<`: an autolink (its address is kept) or an HTML tag or comment (dropped); nil when neither.
    private static func angle(_ s: ArraySlice<UInt8>, at open: Int) -> ([UInt8], Int)? {
        let end = min(s.endIndex, open + tagLimit)
        guard open + 1 < end else { return nil }
        if s[(open + 1)...].starts(with: Array("!--".utf8)) {
            var j = open + 4
            while j + 2 < end {
                if s[j] == UInt8(ascii: "-") && s[j + 1] == UInt8(ascii: "-") && s[j + 2] == UInt8(ascii: ">") { return ([], j + 3) }
                j += 1
            }
            return nil
        }
        let first = s[open + 1]
        guard isLetter(first) || first == UInt8(ascii: "/") || first == UInt8(ascii: "!") || first == UInt8(ascii: "?") else { return nil }
        guard let close = s[(open + 1)..<end].firstIndex(of: UInt8(ascii: ">")) else { return nil }
        let inner = s[(open + 1)..<close]
        // Autolink: <scheme:…> or <user@host>, no spaces.
        if !inner.contains(0x20), let colon = inner.firstIndex(of: UInt8(ascii: ":")), colon - inner.startIndex >= 2,
           inner[inner.startIndex..<colon].allSatisfy({ isLetter($0) || isDigit($0) || $0 == 0x2B || $0 == 0x2E || $0 == 0x2D }) {
            return (Array(inner), close + 1)
        }
        if !inner.contains(0x20), inner.contains(UInt8(ascii: "@")), isLetter(first) {
            return (Array(inner), close + 1)
        }
        // A tag: a name of letters, digits and '-' after the optional '/' or '!'.
        var j = open + 1
        if s[j] == UInt8(ascii: "/") || s[j] == UInt8(ascii: "!") || s[j] == UInt8(ascii: "?") { j += 1 }
        guard j < close, isLetter(s[j]) else { return nil }
        while j < close && (isLetter(s[j]) || isDigit(s[j]) || s[j] == UInt8(ascii: "-")) { j += 1 }
        // After the name: attributes (white space), a self-closing '/', or the end (`a<b, c>` is no tag).
        guard j == close || s[j] == 0x20 || s[j] == 0x09 || s[j] == UInt8(ascii: "/") else { return nil }
        return ([], close + 1)
    }

    /// At `&`: a named or numeric character reference, decoded; nil when it is not one.
    static func entity(_ s: ArraySlice<UInt8>, at amp: Int) -> ([UInt8], Int)? {
        let end = min(s.endIndex, amp + 34)
        guard let semicolon = s[(amp + 1)..<end].firstIndex(of: UInt8(ascii: ";")), semicolon > amp + 1 else { return nil }
        let name = s[(amp + 1)..<semicolon]
        var scalar: UInt32?
        if name.first == UInt8(ascii: "#") {
            let digits = name.dropFirst()
            if let x = digits.first, x | 0x20 == UInt8(ascii: "x") {
                scalar = UInt32(String(decoding: digits.dropFirst(), as: UTF8.self), radix: 16)
            } else {
                scalar = UInt32(String(decoding: digits, as: UTF8.self), radix: 10)
            }
            guard scalar != nil else { return nil }
            if scalar == 0 || Unicode.Scalar(scalar!) == nil { scalar = 0xFFFD }
        } else {
            guard name.allSatisfy({ isLetter($0) || isDigit($0) }) else { return nil }
            var cName = Array(name)
            cName.append(0)
            guard let found = htmlEntityLookup(cName) else { return nil }
            scalar = found.pointee.value
        }
        guard let value = scalar.flatMap(Unicode.Scalar.init) else { return nil }
        return (Array(String(Character(value)).utf8), semicolon + 1)
    }

    @inline(__always) static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    /// Line edges count as white space, as in CommonMark.
    @inline(__always) static func isSpace(_ c: UInt8?) -> Bool {
        guard let c else { return true }
        return c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D
    }
    @inline(__always) static func isPunctuation(_ c: UInt8?) -> Bool {
        guard let c else { return false }
        return (0x21...0x2F).contains(c) || (0x3A...0x40).contains(c) || (0x5B...0x60).contains(c) || (0x7B...0x7E).contains(c)
    }
}
