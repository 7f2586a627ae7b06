/// A Markdown page split into sections at its headings, as plain text.
///
/// Block structure handled (CommonMark's, simplified for text extraction):
/// - ATX headings (`#`…`######`, up to 3 spaces of indentation, optional closing `#`s) and Setext headings (a
///   paragraph underlined by `===` or `---`) start sections;
/// - fenced code blocks (```` ``` ```` or `~~~`, 3 or more, with an info string) and indented code blocks (4 spaces
///   after a blank line, outside a list) are kept verbatim, fences dropped; a `#` line inside is not a heading;
/// - YAML front matter (`---` … `---` or `...` on the first lines) is dropped; its `title:` names the page;
/// - link reference definitions (`[x]: url`), thematic breaks and table delimiter rows are dropped; table rows
///   have their pipes turned into spaces; bullets become `- `; HTML comments spanning lines are dropped;
/// - other lines go through ``MarkdownInline`` (links → labels, emphasis and code markers removed…).
/// Runs of blank lines become one; the text is trimmed.
struct MarkdownDocument {
    struct Section: Equatable {
        /// 1…6; 0 for the text before the first heading.
        var level: Int
        /// The heading's plain text ("" for the intro).
        var title: String
        var text: String
    }

    /// `title:` of the front matter, if any.
    var frontMatterTitle: String?
    /// The first level-1 heading's text, if any.
    var firstH1: String?
    /// The text before the first heading (always present, maybe empty), then one section per heading.
    var sections: [Section] = []

    init(_ text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            line.last == "\r" ? line.dropLast() : line
        }
        if let first = lines.first, first.hasPrefix("\u{FEFF}") { lines[0] = first.dropFirst() }
        var start = 0
        if let first = lines.first, first.trimmingTrailingSpaces() == "---",
           let end = lines.indices.dropFirst().first(where: { lines[$0].trimmingTrailingSpaces() == "---" || lines[$0].trimmingTrailingSpaces() == "..." }) {
            for line in lines[1..<end] where line.hasPrefix("title:") {
                var value = line.dropFirst("title:".count).trimmedOfBlanks()
                if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q { value = String(value.dropFirst().dropLast()) }
                if !value.isEmpty { frontMatterTitle = value }
            }
            start = end + 1
        }
        var builder = SectionBuilder()
        builder.parse(lines[start...])
        sections = builder.sections
        firstH1 = sections.first { $0.level == 1 }?.title
    }
}

/// The line-by-line state machine behind ``MarkdownDocument``.
private struct SectionBuilder {
    var sections: [MarkdownDocument.Section] = [.init(level: 0, title: "", text: "")]
    /// Output lines of the current section.
    private var out: [String] = []
    /// Index in `out` where the open paragraph starts (nil: no paragraph open), for Setext headings.
    private var paragraphStart: Int?
    private var paragraphIsListItem = false
    private var fence: (character: Character, count: Int, indent: Int)?
    private var inIndentedCode = false
    private var inTable = false
    private var inComment = false
    /// The last non-blank line was a list item or its continuation: indentation then is not code.
    private var inList = false
    private var previousBlank = true

    mutating func parse(_ lines: ArraySlice<Substring>) {
        for line in lines { consume(line) }
        finishSection()
    }

    private mutating func finishSection() {
        var text: [String] = []
        var blank = true
        for line in out {
            if line.isEmpty {
                if !blank { text.append("") }
                blank = true
            } else {
                text.append(line)
                blank = false
            }
        }
        while text.last?.isEmpty == true { text.removeLast() }
        sections[sections.count - 1].text = text.joined(separator: "\n")
        out.removeAll()
        paragraphStart = nil
    }

    private mutating func startSection(level: Int, title: String) {
        finishSection()
        sections.append(.init(level: level, title: title, text: ""))
        inTable = false
        inList = false
        previousBlank = true
    }

    private mutating func consume(_ line: Substring) {
        if let f = fence {
            if Self.isClosingFence(line, f.character, f.count) {
                fence = nil
                out.append("")
            } else {
                out.append(String(Self.dropIndent(line, f.indent)))
            }
            return
        }
        if inComment {
            if line.contains("-->") { inComment = false }
            return
        }
        let indent = Self.indentation(line)
        let content = line.drop { $0 == " " || $0 == "\t" }
        if content.isEmpty {
            out.append("")
            paragraphStart = nil
            inTable = false
            previousBlank = true
            return
        }
        if inIndentedCode {
            if indent >= 4 {
                out.append(String(Self.dropIndent(line, 4)))
                return
            }
            inIndentedCode = false
        }
        if indent >= 4 && paragraphStart == nil && !inList {
            inIndentedCode = true
            out.append(String(Self.dropIndent(line, 4)))
            previousBlank = false
            return
        }
        defer { previousBlank = false }
        if indent <= 3 {
            if let (character, count) = Self.openingFence(content) {
                fence = (character, count, indent)
                paragraphStart = nil
                out.append("")
                return
            }
            if let (level, title) = Self.atxHeading(content) {
                startSection(level: level, title: title)
                return
            }
            if let start = paragraphStart, !paragraphIsListItem, let level = Self.setextLevel(content) {
                let title = out[start...].joined(separator: " ").split(separator: " ").joined(separator: " ")
                out.removeSubrange(start...)
                startSection(level: level, title: title)
                return
            }
            if Self.isThematicBreak(content) || Self.isLinkReferenceDefinition(content) {
                paragraphStart = nil
                return
            }
        }
        if Self.isTableDelimiterRow(content) {
            // The header row before it was a paragraph line: its pipes go too.
            if let start = paragraphStart, start == out.count - 1 { out[start] = Self.pipesToSpaces(out[start]) }
            inTable = true
            paragraphStart = nil
            return
        }
        if content.hasPrefix("<!--") && !content.contains("-->") {
            inComment = true
            return
        }
        let listItem = Self.isListItem(content)
        inList = listItem || (inList && (indent >= 2 || !previousBlank))
        var text = String(content)
        if listItem, let first = text.first, first == "*" || first == "+" || first == "-" {
            text = "- " + text.dropFirst(2)
        }
        var plain = MarkdownInline.plain(text)
        if inTable || content.hasPrefix("|") { plain = Self.pipesToSpaces(plain) }
        while plain.last == " " || plain.last == "\t" { plain.removeLast() }
        if paragraphStart == nil {
            paragraphStart = out.count
            paragraphIsListItem = listItem
        }
        out.append(plain)
    }

    // MARK: Line classification

    /// Columns of leading white space (a tab counts as reaching the next multiple of 4).
    static func indentation(_ line: Substring) -> Int {
        var columns = 0
        for c in line {
            if c == " " { columns += 1 } else if c == "\t" { columns += 4 - columns % 4 } else { break }
        }
        return columns
    }

    /// `line` without up to `columns` columns of leading white space.
    static func dropIndent(_ line: Substring, _ columns: Int) -> Substring {
        var rest = line
        var dropped = 0
        while dropped < columns, let c = rest.first, c == " " || c == "\t" {
            dropped += c == "\t" ? 4 - dropped % 4 : 1
            rest = rest.dropFirst()
        }
        return rest
    }

    static func openingFence(_ content: Substring) -> (Character, Int)? {
        guard let c = content.first, c == "`" || c == "~" else { return nil }
        let count = content.prefix { $0 == c }.count
        guard count >= 3 else { return nil }
        if c == "`" && content.dropFirst(count).contains("`") { return nil } // inline code, not a fence
        return (c, count)
    }

    static func isClosingFence(_ line: Substring, _ c: Character, _ count: Int) -> Bool {
        guard indentation(line) <= 3 else { return false }
        let content = line.drop { $0 == " " || $0 == "\t" }
        let run = content.prefix { $0 == c }.count
        return run >= count && content.dropFirst(run).allSatisfy { $0 == " " || $0 == "\t" }
    }

    static func atxHeading(_ content: Substring) -> (Int, String)? {
        let level = content.prefix { $0 == "#" }.count
        guard (1...6).contains(level) else { return nil }
        var rest = content.dropFirst(level)
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        rest = Substring(rest.trimmedOfBlanks())
        // A closing sequence: #s preceded by a space (or the whole text).
        let trailing = rest.reversed().prefix { $0 == "#" }.count
        if trailing > 0 {
            let before = rest.dropLast(trailing)
            if before.isEmpty || before.last == " " || before.last == "\t" { rest = Substring(before.trimmedOfBlanks()) }
        }
        return (level, MarkdownInline.plain(String(rest)).split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " "))
    }

    static func setextLevel(_ content: Substring) -> Int? {
        let trimmed = content.trimmingTrailingSpaces()
        guard let c = trimmed.first, c == "=" || c == "-", trimmed.allSatisfy({ $0 == c }) else { return nil }
        return c == "=" ? 1 : 2
    }

    static func isThematicBreak(_ content: Substring) -> Bool {
        guard let c = content.first, c == "-" || c == "*" || c == "_" else { return false }
        var count = 0
        for x in content {
            if x == c { count += 1 } else if x != " " && x != "\t" { return false }
        }
        return count >= 3
    }

    static func isLinkReferenceDefinition(_ content: Substring) -> Bool {
        guard content.first == "[", let close = content.firstIndex(of: "]"), close > content.index(after: content.startIndex) else { return false }
        let after = content[content.index(after: close)...]
        guard after.first == ":" else { return false }
        return !after.dropFirst().trimmedOfBlanks().isEmpty
    }

    static func isTableDelimiterRow(_ content: Substring) -> Bool {
        content.contains("|") && content.contains("-") && content.allSatisfy { $0 == "|" || $0 == "-" || $0 == ":" || $0 == " " || $0 == "\t" }
    }

    static func isListItem(_ content: Substring) -> Bool {
        guard let first = content.first else { return false }
        if first == "*" || first == "+" || first == "-" {
            let second = content.dropFirst().first
            return second == " " || second == "\t"
        }
        let digits = content.prefix { $0.isASCII && $0.isNumber }
        guard (1...9).contains(digits.count) else { return false }
        let rest = content.dropFirst(digits.count)
        guard let marker = rest.first, marker == "." || marker == ")" else { return false }
        let after = rest.dropFirst().first
        return after == nil || after == " " || after == "\t"
    }

    static func pipesToSpaces(_ line: String) -> String {
        line.split(whereSeparator: { $0 == "|" || $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}

fileprivate extension StringProtocol {
    /// Without trailing spaces and tabs.
    func trimmingTrailingSpaces() -> SubSequence {
        var end = endIndex
        while end > startIndex {
            let previous = index(before: end)
            guard self[previous] == " " || self[previous] == "\t" else { break }
            end = previous
        }
        return self[startIndex..<end]
    }

    /// Without leading and trailing spaces and tabs.
    func trimmedOfBlanks() -> String {
        guard let first = firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(self[first...last])
    }
}
