// PLACEHOLDER until the real extractor lands (helper): same API, naive behaviour.
public struct WikitextExtractor: Sendable {
    public enum Extent: Sendable, Equatable { case firstParagraph; case sentences(Int); case leadSection }
    public struct Page { var text: String; var categories: [String]; var isDisambiguation: Bool }
    let extent: Extent
    init(extent: Extent = .firstParagraph, categoryNamespaces: [String] = ["Category"], fileNamespaces: [String] = ["File", "Image"]) {
        self.extent = extent
    }
    func extract(_ wikitext: UnsafeBufferPointer<UInt8>) -> Page {
        let s = String(decoding: wikitext, as: UTF8.self)
        let para = s.split(separator: "\n").first { !$0.hasPrefix("{{") && !$0.hasPrefix("|") && !$0.hasPrefix("}}") && $0.count > 40 } ?? ""
        return Page(text: String(para), categories: [], isDisambiguation: false)
    }
}
