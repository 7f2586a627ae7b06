/// Decoding of the HTML character references that appear literally in wikitext (`&nbsp;`, `&ndash;`, `&#91;`,
/// `&#x5B;`). The XML layer has already decoded one level of escaping; what is left here was written by editors.
///
/// Covers every numeric reference and the ~110 named ones that occur in articles; an unknown name is left as text.
enum HTMLEntities {
    /// Decodes the reference starting at `start` (which must be `&`) and appends its UTF-8 to `out`.
    /// Returns the index just past the reference, or nil (nothing appended) when it is not a known reference.
    static func decode(_ s: UnsafeBufferPointer<UInt8>, at start: Int, limit: Int, into out: inout [UInt8]) -> Int? {
        var i = start + 1
        let maxEnd = min(limit, start + 34)  // longest name we know is short; bounded lookahead keeps this O(1)
        if i < maxEnd && s[i] == UInt8(ascii: "#") {
            i += 1
            var hex = false
            if i < maxEnd && (s[i] | 0x20) == UInt8(ascii: "x") { hex = true; i += 1 }
            var value: UInt32 = 0
            var digits = 0
            while i < maxEnd {
                let b = s[i]
                let d: UInt32
                if b >= 0x30 && b <= 0x39 { d = UInt32(b - 0x30) }
                else if hex && (b | 0x20) >= 0x61 && (b | 0x20) <= 0x66 { d = UInt32((b | 0x20) - 0x61 + 10) }
                else { break }
                value = value &* (hex ? 16 : 10) &+ d
                digits += 1
                if digits > 8 { return nil }
                i += 1
            }
            guard digits > 0, i < maxEnd, s[i] == UInt8(ascii: ";") else { return nil }
            // NUL, surrogates and out-of-range code points are not characters: render U+FFFD like browsers do.
            let scalar = Unicode.Scalar(value).flatMap { value == 0 ? nil : $0 } ?? "\u{FFFD}"
            appendUTF8(scalar, to: &out)
            return i + 1
        }
        let nameStart = i
        while i < maxEnd, isAlnum(s[i]) { i += 1 }
        guard i > nameStart, i < maxEnd, s[i] == UInt8(ascii: ";") else { return nil }
        let name = String(decoding: UnsafeBufferPointer(rebasing: s[nameStart..<i]), as: UTF8.self)
        guard let scalar = named[name] else { return nil }
        appendUTF8(scalar, to: &out)
        return i + 1
    }

    static func appendUTF8(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        for unit in UTF8.encode(scalar)! { out.append(unit) }
    }

    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A)
    }

    /// `&nbsp;` and friends become a plain space: the abstract is for reading/embedding, not typesetting.
    static let named: [String: Unicode.Scalar] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'",
        "nbsp": " ", "ensp": " ", "emsp": " ", "thinsp": " ", "hairsp": " ", "numsp": " ",
        "zwj": "\u{200D}", "zwnj": "\u{200C}", "lrm": "\u{200E}", "rlm": "\u{200F}", "shy": "\u{00AD}",
        "ndash": "\u{2013}", "mdash": "\u{2014}", "minus": "\u{2212}", "hyphen": "\u{2010}",
        "lsquo": "\u{2018}", "rsquo": "\u{2019}", "sbquo": "\u{201A}", "ldquo": "\u{201C}", "rdquo": "\u{201D}",
        "bdquo": "\u{201E}", "laquo": "\u{00AB}", "raquo": "\u{00BB}", "lsaquo": "\u{2039}", "rsaquo": "\u{203A}",
        "prime": "\u{2032}", "Prime": "\u{2033}", "hellip": "\u{2026}", "bull": "\u{2022}", "middot": "\u{00B7}",
        "dagger": "\u{2020}", "Dagger": "\u{2021}", "sect": "\u{00A7}", "para": "\u{00B6}", "deg": "\u{00B0}",
        "copy": "\u{00A9}", "reg": "\u{00AE}", "trade": "\u{2122}", "times": "\u{00D7}", "divide": "\u{00F7}",
        "plusmn": "\u{00B1}", "frac12": "\u{00BD}", "frac14": "\u{00BC}", "frac34": "\u{00BE}",
        "sup1": "\u{00B9}", "sup2": "\u{00B2}", "sup3": "\u{00B3}", "micro": "\u{00B5}", "permil": "\u{2030}",
        "cent": "\u{00A2}", "pound": "\u{00A3}", "euro": "\u{20AC}", "yen": "\u{00A5}", "curren": "\u{00A4}",
        "iexcl": "\u{00A1}", "iquest": "\u{00BF}", "ordf": "\u{00AA}", "ordm": "\u{00BA}", "not": "\u{00AC}",
        "larr": "\u{2190}", "rarr": "\u{2192}", "uarr": "\u{2191}", "darr": "\u{2193}", "harr": "\u{2194}",
        "rArr": "\u{21D2}", "lArr": "\u{21D0}", "hArr": "\u{21D4}",
        "le": "\u{2264}", "ge": "\u{2265}", "ne": "\u{2260}", "asymp": "\u{2248}", "equiv": "\u{2261}",
        "infin": "\u{221E}", "sum": "\u{2211}", "prod": "\u{220F}", "radic": "\u{221A}", "part": "\u{2202}",
        "int": "\u{222B}", "forall": "\u{2200}", "exist": "\u{2203}", "isin": "\u{2208}", "cap": "\u{2229}",
        "cup": "\u{222A}", "sdot": "\u{22C5}", "loz": "\u{25CA}", "spades": "\u{2660}", "hearts": "\u{2665}",
        "Alpha": "\u{0391}", "Beta": "\u{0392}", "Gamma": "\u{0393}", "Delta": "\u{0394}", "Theta": "\u{0398}",
        "Lambda": "\u{039B}", "Pi": "\u{03A0}", "Sigma": "\u{03A3}", "Phi": "\u{03A6}", "Psi": "\u{03A8}",
        "Omega": "\u{03A9}", "alpha": "\u{03B1}", "beta": "\u{03B2}", "gamma": "\u{03B3}", "delta": "\u{03B4}",
        "epsilon": "\u{03B5}", "zeta": "\u{03B6}", "eta": "\u{03B7}", "theta": "\u{03B8}", "iota": "\u{03B9}",
        "kappa": "\u{03BA}", "lambda": "\u{03BB}", "mu": "\u{03BC}", "nu": "\u{03BD}", "xi": "\u{03BE}",
        "omicron": "\u{03BF}", "pi": "\u{03C0}", "rho": "\u{03C1}", "sigma": "\u{03C3}", "sigmaf": "\u{03C2}",
        "tau": "\u{03C4}", "upsilon": "\u{03C5}", "phi": "\u{03C6}", "chi": "\u{03C7}", "psi": "\u{03C8}",
        "omega": "\u{03C9}",
        "Agrave": "\u{00C0}", "Aacute": "\u{00C1}", "Acirc": "\u{00C2}", "Auml": "\u{00C4}", "Aring": "\u{00C5}",
        "AElig": "\u{00C6}", "Ccedil": "\u{00C7}", "Eacute": "\u{00C9}", "Egrave": "\u{00C8}", "Ntilde": "\u{00D1}",
        "Oacute": "\u{00D3}", "Ouml": "\u{00D6}", "Oslash": "\u{00D8}", "Uuml": "\u{00DC}", "szlig": "\u{00DF}",
        "agrave": "\u{00E0}", "aacute": "\u{00E1}", "acirc": "\u{00E2}", "atilde": "\u{00E3}", "auml": "\u{00E4}",
        "aring": "\u{00E5}", "aelig": "\u{00E6}", "ccedil": "\u{00E7}", "egrave": "\u{00E8}", "eacute": "\u{00E9}",
        "ecirc": "\u{00EA}", "euml": "\u{00EB}", "igrave": "\u{00EC}", "iacute": "\u{00ED}", "icirc": "\u{00EE}",
        "iuml": "\u{00EF}", "ntilde": "\u{00F1}", "ograve": "\u{00F2}", "oacute": "\u{00F3}", "ocirc": "\u{00F4}",
        "otilde": "\u{00F5}", "ouml": "\u{00F6}", "oslash": "\u{00F8}", "ugrave": "\u{00F9}", "uacute": "\u{00FA}",
        "ucirc": "\u{00FB}", "uuml": "\u{00FC}", "yacute": "\u{00FD}", "yuml": "\u{00FF}", "oelig": "\u{0153}",
        "OElig": "\u{0152}", "scaron": "\u{0161}", "Scaron": "\u{0160}",
    ]
}
