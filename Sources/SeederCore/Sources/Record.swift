/// One item streamed by a source: an article, a dictionary sense, a documentation section, a line.
///
/// Which strings of a record get embedded is the job's choice (`source.texts`), applied by
/// ``TextTemplate``; the record itself only carries what the input said.
public struct Record: Sendable, Equatable {
    /// A stable identifier within the input (page id, URL, line number…), for failures and reports.
    public var id: String
    /// The title (article, headword, entry name); may be empty.
    public var title: String
    /// The main text (abstract, gloss, section body).
    public var body: String
    /// Where the content lives on the web, when the input says.
    public var url: String
    /// What reports group by: a Wikipedia category, a part of speech, a docset name; may be empty.
    public var category: String
    /// The 0-based ordinal of the input item this record came from (items skipped included).
    public var ordinal: Int64
    /// The source kind recorded with its texts, when not the reading source's own: a text re-embedded from the
    /// sweep's queue (`seeder run --reseed`) keeps the source it was first seeded from.
    public var source: String?

    public init(id: String, title: String, body: String, url: String = "", category: String = "", ordinal: Int64, source: String? = nil) {
        self.id = id
        self.title = title
        self.body = body
        self.url = url
        self.category = category
        self.ordinal = ordinal
        self.source = source
    }
}
