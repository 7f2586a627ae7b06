/// Tells wikitext debris from prose in the `<abstract>` of Wikipedia's legacy abstract dumps.
///
/// Wikimedia's abstract generator took the first text it found after stripping templates, and for a third of
/// the articles that is not the lead sentence but what was left of an infobox, a hatnote, an image caption
/// or a section heading. On the real sample (`datasets/wikipedia/enwiki-abstract-sample.xml`, 368 docs) these
/// rules mark 181 abstracts as debris and keep all 177 that read as prose (10 more are too short); none of the
/// kept ones starts with `|`, `{{` or `}}`.
///
/// An abstract (already trimmed) is debris when:
/// 1. it starts with a character prose never starts with: `|` (infobox parameter, `| birth_place = Ulm`),
///    `!` (table header), `{` (`{{`, `{|`), `}` (`}}`), `]`, `)`, `,`, `;`, `:` (indent), `*` (list item),
///    `=` (`==Events==`), `<` (HTML); the `)`, `,` and `;` cases are sentences whose start was a stripped
///    template (`, genitive`, `) |アニメ|anime|… is hand-drawn…`);
/// 2. it starts with `[[File:`, `[[Image:`, `[[Category:`, `#REDIRECT`, `http://` or `https://`;
/// 3. it starts with a currency amount (`$`, `€`, `£` then a digit): the value of an economy infobox
///    (`$107.316 billion (nominal, 2018 est.`);
/// 4. its first `|`-separated segment is an image option (`thumb`, `thumbnail`, `right`, `left`, `center`,
///    `frame`, `frameless`, `upright…`, `alt=…`, `300px`): an image caption (`thumb|right|300px|The Rutherford…`);
/// 5. it holds more markup characters (`| { } [ ] < > =`) than letters (`][][][][]`);
/// 6. it ends with `}}`, holds no `{{` and no sentence break (". "): the tail of a hatnote or template
///    (`Tarkovsky (surname)}}`, `Abacı|the medieval book|Liber Abaci}}`).
///
/// Prose with some debris inside (`Aphrodite ;  Aphrodítē}} is an ancient Greek goddess…`,
/// `Agriculture is the science… |year=1999 |publisher=…`) is kept: the sentence is worth embedding.
/// Works on UTF-8 bytes, without building a `String`; non-ASCII characters count as letters.
enum AbstractDebrisFilter {
    /// Whether the trimmed UTF-8 `text` is debris rather than prose (see the type's documentation).
    static func isDebris(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = text.first else { return false }
        switch first {
        case UInt8(ascii: "|"), UInt8(ascii: "!"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "]"),
             UInt8(ascii: ")"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "*"),
             UInt8(ascii: "="), UInt8(ascii: "<"):
            return true
        default:
            break
        }
        if startsWithDebrisPrefix(text) || startsWithCurrencyAmount(text) || startsWithImageOption(text) {
            return true
        }
        var markup = 0, letters = 0
        byteClasses.withUnsafeBufferPointer { classes in
            for byte in text {
                let c = classes[Int(byte)]
                markup &+= Int(c & 1)
                letters &+= Int(c >> 1)
            }
        }
        if markup > letters { return true }
        if text.count >= 2, text[text.count - 1] == UInt8(ascii: "}"), text[text.count - 2] == UInt8(ascii: "}"),
           !contains(text, UInt8(ascii: "{"), UInt8(ascii: "{")), !contains(text, UInt8(ascii: "."), UInt8(ascii: " ")) {
            return true
        }
        return false
    }

    /// Per byte: 1 for a markup character (`| { } [ ] < > =`), 2 for a letter (ASCII letters and 0xC0…0xFF, the
    /// lead byte of a non-ASCII character), 0 otherwise.
    private static let byteClasses: [UInt8] = (0...255).map { (byte: Int) -> UInt8 in
        if "|{}[]<>=".utf8.contains(UInt8(byte)) { return 1 }
        if (65...90).contains(byte) || (97...122).contains(byte) || byte >= 0xC0 { return 2 }
        return 0
    }

    private static let debrisPrefixes: [StaticString] = ["[[file:", "[[image:", "[[category:", "#redirect", "http://", "https://"]

    private static let imageOptions: Set<[UInt8]> = Set(
        ["thumb", "thumbnail", "frame", "framed", "frameless", "border", "right", "left", "center", "centre", "none",
         "upright"].map { Array($0.utf8) })

    private static func startsWithDebrisPrefix(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        switch text[0] {
        case UInt8(ascii: "["), UInt8(ascii: "#"), UInt8(ascii: "h"), UInt8(ascii: "H"):
            return debrisPrefixes.contains { startsLowercased(text, with: $0) }
        default:
            return false
        }
    }

    private static func startsWithCurrencyAmount(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let symbolLength: Int
        if text[0] == UInt8(ascii: "$") {
            symbolLength = 1
        } else if text.starts(with: [0xE2, 0x82, 0xAC]) { // €
            symbolLength = 3
        } else if text.starts(with: [0xC2, 0xA3]) { // £
            symbolLength = 2
        } else {
            return false
        }
        return text.count > symbolLength && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[symbolLength])
    }

    /// `thumb|…`, `right|thumb|…`, `300px|…`, `alt=…|…`: the first segment before `|` is an image option.
    private static func startsWithImageOption(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        // Image options are ASCII letters, digits, '=' and spaces; the longest kept is "thumbnail".
        var end = 0
        while end < text.count && end < 41 && text[end] != UInt8(ascii: "|") { end += 1 }
        guard end > 0, end < text.count, text[end] == UInt8(ascii: "|") else { return false }
        var segment = UnsafeBufferPointer(rebasing: text[..<end])
        while let last = segment.last, last == UInt8(ascii: " ") { segment = UnsafeBufferPointer(rebasing: segment.dropLast()) }
        if segment.count <= 9 {
            let lowered = segment.map(lowercased)
            if imageOptions.contains(lowered) { return true }
        }
        if startsLowercased(segment, with: "upright") || startsLowercased(segment, with: "alt=") { return true }
        // [digits][x digits]px
        guard segment.count > 2, lowercased(segment[segment.count - 2]) == UInt8(ascii: "p"),
              lowercased(segment[segment.count - 1]) == UInt8(ascii: "x") else { return false }
        return segment.dropLast(2).allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "x") }
    }

    private static func startsLowercased(_ text: UnsafeBufferPointer<UInt8>, with prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard text.count >= count else { return false }
        for i in 0..<count where lowercased(text[i]) != prefix.utf8Start[i] {
            return false
        }
        return true
    }

    private static func contains(_ text: UnsafeBufferPointer<UInt8>, _ a: UInt8, _ b: UInt8) -> Bool {
        guard text.count >= 2 else { return false }
        for i in 0..<(text.count - 1) where text[i] == a && text[i + 1] == b {
            return true
        }
        return false
    }

    @inline(__always)
    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}
