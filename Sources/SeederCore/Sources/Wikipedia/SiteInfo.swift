import Foundation

/// What a MediaWiki export's `<siteinfo>` says about its wiki: its name, the URL of its pages, and the local
/// names of the namespaces the extractor needs (a German dump says "Kategorie" and "Datei").
public struct SiteInfo: Sendable, Equatable {
    public var siteName = ""
    public var dbName = ""
    /// The main page's URL (`https://en.wikipedia.org/wiki/Main_Page`): article URLs are built from it.
    public var base = ""
    /// Namespace number → local name (0, the articles, is "").
    public var namespaces: [Int: String] = [:]

    /// What a dump without `<siteinfo>` is read with: English Wikipedia's names, and no article URLs.
    public static let fallback = SiteInfo(namespaces: [6: "File", 14: "Category"])

    /// Names of the category namespace: the local one, and the canonical English one every wiki also accepts.
    public var categoryNamespaces: [String] { Self.names(namespaces[14], canonical: "Category") }
    /// Names of the file namespace (images): the local one, "File", and the legacy alias "Image".
    public var fileNamespaces: [String] { Self.names(namespaces[6], canonical: "File") + ["Image"] }

    private static func names(_ local: String?, canonical: String) -> [String] {
        guard let local, !local.isEmpty, local != canonical else { return [canonical] }
        return [local, canonical]
    }

    /// The URL of the article titled `title`, or "" without a base: the base (the main page's URL) with its last
    /// path component replaced by the title, spaces as `_`, escaped as MediaWiki escapes it (`wfUrlencode`).
    public func url(of title: String) -> String {
        guard let slash = base.lastIndex(of: "/"), base[..<slash].contains("://") else { return "" }
        var path = ""
        for byte in title.utf8 {
            switch byte {
            case UInt8(ascii: " "):
                path += "_"
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                path.unicodeScalars.append(Unicode.Scalar(byte))
            case _ where "-._~;:@$!*(),/'".utf8.contains(byte):
                path.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                path += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return String(base[...slash]) + path
    }

    /// Reads the content of a `<siteinfo>` element. Unknown parts are ignored; nothing here is fatal.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> SiteInfo {
        var info = SiteInfo()
        let text = String(decoding: bytes, as: UTF8.self)
        func element(_ name: String) -> String? {
            guard let open = text.range(of: "<\(name)>"), let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else { return nil }
            return XMLText.decode(String(text[open.upperBound..<close.lowerBound]))
        }
        info.siteName = element("sitename") ?? ""
        info.dbName = element("dbname") ?? ""
        info.base = element("base") ?? ""
        var rest = text[...]
        while let open = rest.range(of: "<namespace ") {
            guard let tagEnd = rest.range(of: ">", range: open.upperBound..<rest.endIndex) else { break }
            let tag = rest[open.upperBound..<tagEnd.lowerBound]
            var name = ""
            var after = tagEnd.upperBound
            if !tag.hasSuffix("/"), let close = rest.range(of: "</namespace>", range: tagEnd.upperBound..<rest.endIndex) {
                name = XMLText.decode(String(rest[tagEnd.upperBound..<close.lowerBound]))
                after = close.upperBound
            }
            if let key = tag.range(of: "key=\"") {
                let digits = tag[key.upperBound...].prefix { $0 == "-" || $0.isNumber }
                if let number = Int(digits) { info.namespaces[number] = name }
            }
            rest = rest[after...]
        }
        return info
    }
}
