import CLibXML2

/// An HTML document parsed by libxml2's HTML parser (the tree API), owning its `htmlDocPtr` (freed in `deinit`).
///
/// Parsing never fails on bad markup: HTML_PARSE_RECOVER repairs what it can, and errors and warnings are
/// suppressed (a documentation page is tag soup more often than not). NONET: nothing is ever fetched. The bytes
/// are read as UTF-8 whatever a `<meta charset>` says (IGNORE_ENC): callers hand over Swift strings.
final class HTMLDocument {
    /// The parsed tree; nil for an input libxml2 made nothing of (empty or white space only).
    let doc: htmlDocPtr?

    /// Parses `html` (UTF-8). Inputs over 2 GiB are cut (libxml2 takes an `Int32` size; callers cap pages far below).
    init(_ html: String) {
        _ = htmlLibxml2Initialized
        var copy = html
        doc = copy.withUTF8 { utf8 -> htmlDocPtr? in
            guard let base = utf8.baseAddress, utf8.count > 0 else { return nil }
            let options = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
                                | HTML_PARSE_NONET.rawValue | HTML_PARSE_NOBLANKS.rawValue | HTML_PARSE_IGNORE_ENC.rawValue)
            let size = Int32(clamping: utf8.count)
            return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                htmlReadMemory($0, size, nil, "UTF-8", options)
            }
        }
    }

    deinit {
        if let doc { xmlFreeDoc(doc) }
    }

    /// The root element (`<html>`, implied by the parser for fragments).
    var root: xmlNodePtr? {
        guard let doc else { return nil }
        return xmlDocGetRootElement(doc)
    }
}

/// libxml2's global initialization, once per process, before any thread parses (idempotent in libxml2 too).
private let htmlLibxml2Initialized: Void = xmlInitParser()

extension xmlNode {
    /// The element's lower-case name (libxml2's HTML parser lower-cases tag names).
    var elementName: String {
        name.map { String(cString: $0) } ?? ""
    }

    /// The value of the attribute `attribute` (its text children concatenated), or nil; no allocation by libxml2.
    func attributeValue(_ attribute: String) -> String? {
        var property = properties
        while let p = property {
            if let name = p.pointee.name, String(cString: name) == attribute {
                var value = ""
                var child = p.pointee.children
                while let c = child {
                    if let content = c.pointee.content { value += String(cString: content) }
                    child = c.pointee.next
                }
                return value
            }
            property = p.pointee.next
        }
        return nil
    }
}
