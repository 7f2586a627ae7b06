/// GitHub-style anchors for headings ("Filter stacks" → `filter-stacks`), unique within a page.
///
/// The slug is the heading's text lower-cased, keeping letters, digits, `-`, `_` and spaces, with each space turned
/// into `-`. A repeated slug gets `-1`, `-2`… as GitHub does.
struct HeadingSlugger {
    private var used: [String: Int] = [:]

    /// The slug of `heading`, deduplicated against those already returned.
    mutating func slug(_ heading: String) -> String {
        let base = Self.slug(heading)
        var candidate = base
        if let count = used[base] {
            var n = count
            repeat {
                n += 1
                candidate = "\(base)-\(n)"
            } while used[candidate] != nil
            used[base] = n
        }
        used[candidate] = used[candidate] ?? 0
        return candidate
    }

    /// The slug of one heading, without deduplication.
    static func slug(_ heading: String) -> String {
        var result = ""
        for character in heading.lowercased() {
            if character == " " {
                result.append("-")
            } else if character == "-" || character == "_" || character.isLetter || character.isNumber {
                result.append(character)
            }
        }
        return result
    }
}
