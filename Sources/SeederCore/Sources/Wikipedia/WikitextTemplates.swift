/// What the renderer shows for a template in running text. Every template not listed renders as nothing:
/// infoboxes, hatnotes, citations, `{{IPAc-en|…}}` / `{{respell|…}}` pronunciations, maintenance tags, parser
/// functions (`{{#if:…}}`) and magic variables.
///
/// The list is the inline templates that carry visible words in the first sentences of the enwiki sample
/// (language and transliteration wrappers, `convert`, dashes and spaces, `circa`, size/no-wrap wrappers).
enum WikitextTemplateRule: Equatable {
    case remove
    /// A fixed text (`{{ndash}}` → "–").
    case text(String)
    /// The n-th positional argument (1-based), between `prefix` and `suffix`; nothing when it is missing.
    case argument(Int, prefix: String = "", suffix: String = "")
    /// The last positional argument (`{{transl|ar|DIN|text}}`).
    case lastArgument
    /// `{{convert|5|km|mi}}` → "5 km", `{{convert|5|to|10|km}}` → "5 to 10 km".
    case convert
    /// `{{frac|1|2}}` → "1/2", `{{frac|3|1|2}}` → "3 1/2".
    case fraction
    /// `{{as of|2014}}` → "As of 2014" (`lc=y` → "as of 2014").
    case asOf
    /// The first two positional arguments joined by a space (`{{OldStyleDate|February 2|1905|…}}`).
    case firstTwo

    /// The rule for a normalized name (lowercased, `_` → space, spaces collapsed, trimmed).
    static func rule(for name: String) -> WikitextTemplateRule {
        if let rule = table[name] { return rule }
        if name.hasPrefix("lang-") { return .argument(1) }  // {{lang-fr|texte}}
        return .remove
    }

    static let table: [String: WikitextTemplateRule] = {
        var t: [String: WikitextTemplateRule] = [:]
        for name in ["lang", "script", "native name", "resize", "font", "font color", "color"] {
            t[name] = .argument(2)
        }
        for name in ["nowrap", "nobr", "nobreak", "small", "smaller", "big", "large", "larger", "huge", "nq",
                     "smallcaps", "sc", "sc1", "sc2", "nobold", "noitalic", "not a typo", "sic", "var", "mvar",
                     "math", "em", "strong", "abbr", "abbrlink", "ill", "interlanguage link", "illm", "unicode",
                     "iast", "polytonic", "text", "angle bracket", "bracket", "keypress", "wikt-lang",
                     "nihongo", "linktext", "vanchor", "anchor text"] {
            t[name] = .argument(1)
        }
        t["spaces"] = .text(" ")
        t["transl"] = .lastArgument
        t["translit"] = .lastArgument
        t["transliteration"] = .lastArgument
        for name in ["circa", "c.", "ca.", "ca", "c"] { t[name] = .argument(1, prefix: "c. ") }
        t["floruit"] = .argument(1, prefix: "fl. ")
        t["fl."] = .argument(1, prefix: "fl. ")
        t["us$"] = .argument(1, prefix: "US$")
        t["convert"] = .convert
        t["cvt"] = .convert
        t["frac"] = .fraction
        t["fraction"] = .fraction
        t["as of"] = .asOf
        t["oldstyledate"] = .firstTwo
        for name in ["ndash", "nd", "en dash", "endash", "–"] { t[name] = .text("\u{2013}") }
        for name in ["mdash", "md", "em dash", "emdash", "—"] { t[name] = .text("\u{2014}") }
        for name in ["snd", "spaced ndash", "spnd", "sndash", "spaced en dash"] { t[name] = .text(" \u{2013} ") }
        for name in ["spaced mdash", "smd", "spmd"] { t[name] = .text(" \u{2014} ") }
        for name in ["nbsp", "sp", "thinsp", "thin space", "space", "zwsp"] { t[name] = .text(" ") }
        for name in ["·", "dot", "middot", "dot-separator"] { t[name] = .text(" \u{00B7} ") }
        for name in ["•", "bull", "bullet"] { t[name] = .text(" \u{2022} ") }
        t["'"] = .text("'")
        t["\""] = .text("\"")
        t["="] = .text("=")
        t["-"] = .text("-")
        t["shy"] = .text("")
        return t
    }()

    /// Words that make `{{convert|a|WORD|b|unit}}` a range.
    static let convertRangeWords: Set<String> = [
        "to", "-", "\u{2013}", "and", "or", "by", "x", "\u{00D7}", "to(-)", "and(-)", "+/-", "\u{00B1}", "+",
    ]
}
