import XCTest
@testable import SeederCore

/// `WikitextExtractor` on the real pages-articles sample and on small constructed pages.
final class WikitextExtractorTests: XCTestCase {
    private let first = WikitextExtractor()
    private let oneSentence = WikitextExtractor(extent: .sentences(1))

    // MARK: - Real sample

    func testAnarchismAbstractAndCategories() throws {
        let page = first.extract(try WikitextSample.article("Anarchism").text)
        XCTAssertTrue(page.text.hasPrefix("Anarchism is a political philosophy that advocates self-governed societies"
                                          + " based on voluntary institutions. These are often described as stateless"
                                          + " societies, although several authors"), page.text)
        XCTAssertTrue(page.text.hasSuffix("including, but not limited to, the state system."), page.text)
        XCTAssertEqual(page.categories, ["Anarchism", "Political culture", "Political ideologies", "Social theories",
                                         "Anti-fascism", "Anti-capitalism", "Far-left politics"])
        XCTAssertFalse(page.isDisambiguation)
    }

    func testFirstSentencesOfSampleArticles() throws {
        let expected: [(String, String)] = [
            ("Allan Dwan", "Allan Dwan (3 April 1885 – 28 December 1981) was a pioneering Canadian-born American"
                + " motion picture director, producer and screenwriter."),
            // {{IPA-fr|…}} removed, the "(; born" debris tightened.
            ("Alain Connes", "Alain Connes (born 1 April 1947) is a French mathematician, currently Professor at the"
                + " Collège de France, IHÉS, The Ohio State University and Vanderbilt University."),
            // {{IPAc-en}} and {{IPA-el}} removed, {{lang-grc|…}} kept, ''[[Iliad]]'' → Iliad.
            ("Achilles", "In Greek mythology, Achilles (Ἀχιλλεύς, Akhilleus) was a Greek hero of the Trojan War and"
                + " the central character and greatest warrior of Homer's Iliad."),
            // {{convert|1600|km}} and {{convert|29|km|0}} + a <ref> with a nested {{cite web}}.
            ("Aruba", "Aruba is a constituent country of the Kingdom of the Netherlands in the southern Caribbean Sea,"
                + " located about 1600 km west of the main part of the Lesser Antilles and 29 km north of the coast"
                + " of Venezuela."),
            // {{lang-ar|{{large|…}}}} (nested kept templates) and ''{{transl|ar|…}}''; "E.R." mid-sentence elsewhere.
            ("Algeria", "Algeria (الجزائر al-Jazā'ir; ⵍⵣⵣⴰⵢⴻⵔ Dzayer), officially People's Democratic Republic of"
                + " Algeria, is a sovereign state in North Africa on the Mediterranean coast."),
            // A multi-line infobox before, "E.R." inside the sentence is not a sentence end.
            ("Actrius", "Actresses (Catalan: Actrius) is a 1997 Catalan language Spanish drama film produced and"
                + " directed by Ventura Pons and based on the award-winning stage play E.R. by Josep Maria Benet i"
                + " Jornet."),
        ]
        for (title, sentence) in expected {
            XCTAssertEqual(oneSentence.extract(try WikitextSample.article(title).text).text, sentence, title)
        }
    }

    func testTwoSentences() throws {
        let page = WikitextExtractor(extent: .sentences(2)).extract(try WikitextSample.article("Autism").text)
        XCTAssertEqual(page.text, "Autism is a neurodevelopmental disorder characterized by impaired social"
                       + " interaction, verbal and non-verbal communication, and restricted and repetitive behavior."
                       + " Parents usually notice signs in the first two years of their child's life.")
        XCTAssertEqual(WikitextTextCleaner.sentences(Array(page.text.utf8)).count, 2)
    }

    func testSentencesContinueIntoTheNextParagraph() {
        let page = WikitextExtractor(extent: .sentences(3)).extract("'''X''' is one.\n\nTwo is here. Three too. Four.")
        XCTAssertEqual(page.text, "X is one. Two is here. Three too.")
    }

    func testLeadSection() throws {
        let text = try WikitextSample.article("Anarchism").text
        let lead = WikitextExtractor(extent: .leadSection).extract(text).text
        let paragraphs = lead.split(separator: "\n")
        XCTAssertEqual(paragraphs.first.map(String.init), first.extract(text).text)
        XCTAssertEqual(paragraphs.count, 2, lead)  // the rest of the lead is inside <ref>s
        XCTAssertTrue(paragraphs[1].hasPrefix("Anarchism draws on many currents of thought and strategy."), lead)
        XCTAssertFalse(lead.contains("History"), "the lead ends at the first heading")
    }

    func testEveryArticleKeepsTheGuaranteeForEveryExtent() throws {
        let articles = try WikitextSample.articles()
        XCTAssertEqual(articles.count, 106)
        for extent in [WikitextExtractor.Extent.firstParagraph, .sentences(2), .sentences(5), .leadSection] {
            let extractor = WikitextExtractor(extent: extent)
            var empty: [String] = []
            for article in articles {
                let page = extractor.extract(article.text)
                assertClean(page.text, "\(article.title) \(extent)")
                if page.text.isEmpty { empty.append(article.title) }
                XCTAssertFalse(page.categories.contains { $0.contains("]") || $0.contains("|") || $0.isEmpty })
            }
            // The only article without a prose paragraph is a bare list.
            XCTAssertEqual(empty, ["List of anthropologists"], "\(extent)")
        }
    }

    func testDisambiguationPagesOfTheSample() throws {
        let flagged = try WikitextSample.articles().filter { first.extract($0.text).isDisambiguation }.map(\.title)
        XCTAssertEqual(flagged, ["Alien", "Austin (disambiguation)", "Ada", "Aberdeen (disambiguation)",
                                 "Argument (disambiguation)", "Animal (disambiguation)",
                                 "Asia Minor (disambiguation)", "Aa River"])
    }

    // MARK: - Constructed pages

    func testDisambiguationDetection() {
        for marker in ["{{disambiguation}}", "{{Disambiguation|geo}}", "{{ dab }}", "{{Hndis|Smith, John}}",
                       "{{geodis}}", "{{Place name disambiguation}}", "{{human_name disambiguation|x}}",
                       "{{Letter-Number Combination Disambiguation}}", "__DISAMBIG__", "{{Template:Disambig}}",
                       "{{mathdab}}", "{{Numberdis}}", "{{schooldis}}", "{{hospitaldis}}", "{{disamb}}", "{{dis}}"] {
            XCTAssertTrue(first.extract("'''X''' may refer to:\n* a\n\n\(marker)\n").isDisambiguation, marker)
        }
        for marker in ["{{Set index article}}", "{{disambiguation needed}}", "{{About|x||X (disambiguation)}}",
                       "<!-- {{disambiguation}} -->", "<nowiki>{{disambiguation}}</nowiki>", "{{Distinguish|y}}"] {
            XCTAssertFalse(first.extract("'''X''' is a thing.\n\(marker)\n").isDisambiguation, marker)
        }
    }

    func testCategories() {
        let page = first.extract("""
            '''X''' is a thing.<!-- [[Category:Hidden]] -->
            [[:Category:Linked]] is a link. <nowiki>[[Category:Nowiki]]</nowiki>
            == Notes ==
            [[Category:Things|X]]
            [[category: small_first  letter ]]
            [[ Category : Things ]]
            [[Category:Émigrés|*]]
            [[Category:éclairs]]
            [[Category:Bad{{x}}]]
            """)
        XCTAssertEqual(page.categories, ["Things", "Small first letter", "Émigrés", "Éclairs"])
        // A leading colon makes a link, nowiki makes text: both stay in the paragraph (without brackets).
        XCTAssertEqual(page.text, "X is a thing. Category:Linked is a link. Category:Nowiki")
        XCTAssertEqual(first.extract("[[:Category:Linked|the linked one]] is a link.\n").text, "the linked one is a link.")
    }

    func testLocalizedNamespaces() {
        let german = WikitextExtractor(categoryNamespaces: ["Kategorie", "Category"],
                                       fileNamespaces: ["Datei", "Bild", "File", "Image"])
        let page = german.extract("""
            [[Datei:Berlin.jpg|mini|Das [[Brandenburger Tor]] bei Nacht]]
            '''Berlin''' ist die [[Hauptstadt]] Deutschlands.[[bild:x.png]]

            [[Kategorie:Stadt in Deutschland]]
            [[kategorie:Hauptstadt_in_Europa|Berlin]]
            [[Category:Also]]
            [[en:Berlin]]
            """)
        XCTAssertEqual(page.text, "Berlin ist die Hauptstadt Deutschlands.")
        XCTAssertEqual(page.categories, ["Stadt in Deutschland", "Hauptstadt in Europa", "Also"])
        // The English defaults do not know "Kategorie": it is an ordinary link there.
        XCTAssertEqual(first.extract("[[Kategorie:X]]").categories, [])
        let russian = WikitextExtractor(categoryNamespaces: ["Категория"])
        XCTAssertEqual(russian.extract("Текст.\n[[категория:Города]]").categories, ["Города"])
    }

    func testLinksAndInlineMarkup() {
        let cases: [(String, String)] = [
            ("[[Paris]] is in [[France|the French Republic]].", "Paris is in the French Republic."),
            ("Many [[bus]]es and [[Foo (bar)|]] and [[Help:Contents|]] go.", "Many buses and Foo and Contents go."),
            ("See [[Anarchism#History|its history]] and [[#Notes|below]].", "See its history and below."),
            ("'''Bold''', ''italic'', '''''both''''' and l'''ong'''.", "Bold, italic, both and long."),
            ("An [http://example.com example site] and a bare [http://example.com] link.",
             "An example site and a bare link."),
            ("A&nbsp;B &ndash; C &#91;1&#93; &#x4E2D; &amp;c &bogus; &lt;b&gt;", "A B – C [1] 中 &c &bogus; <b>"),
            ("Text<ref>A [[cite]] {{cite web|url=x}}</ref> more<ref name=\"a\" /> end.<references/>",
             "Text more end."),
            ("A <span style=\"x\">kept</span> <small>small</small> x<sup>2</sup> <math>\\frac{{a}}{b}</math>.",
             "A kept small x2."),
            ("Raw <nowiki>[[not a link]] ''x''</nowiki> text.", "Raw not a link x text."),
            ("__NOTOC__ Magic __TOC__ words.", "Magic words."),
            ("X <!-- hidden --> Y<!-- two\nlines -->.", "X Y."),
            ("[[File:A.jpg|thumb|A [[nested|link]] in [[caption]]]] Prose [[Image:B.png]] here.", "Prose here."),
            ("Before\n{| class=\"wikitable\"\n|-\n| a || b\n{|\n|inner\n|}\n|}\nAfter", "Before"),
            ("'''X''' ({{IPAc-en|ˈ|x}}; {{IPA-de|x|lang}}) is.", "X is."),
            ("'''X''' ( ) is, ( ; ) really (, ) so.", "X is, really so."),
            ("[[fr:Paris]]\nParis is nice.", "Paris is nice."),
            ("See [[wikt:plausible#Adjective|plausible]] things.", "See plausible things."),
            ("A {{#if:{{{1|}}}|yes|no}} B {{{param|default}}} C.", "A B C."),
        ]
        for (wikitext, expected) in cases {
            XCTAssertEqual(first.extract(wikitext).text, expected, wikitext)
        }
    }

    func testInlineTemplates() {
        let cases: [(String, String)] = [
            ("{{lang|fr|Le texte}} and {{lang-fr|texte}} and {{Lang|de|[[Berlin]]}}.", "Le texte and texte and Berlin."),
            ("{{nowrap|12 km}}, {{nobr|x y}}, {{convert|5|km|mi}}, {{convert|5|to|10|km}}, {{cvt|3|-|4|m|ft}}.",
             "12 km, x y, 5 km, 5 to 10 km, 3 - 4 m."),
            ("A{{ndash}}B{{snd}}C{{spaced ndash}}D{{nbsp}}E{{mdash}}F.", "A–B – C – D E—F."),
            ("Built {{circa|1900}} or {{c.|1890}}.", "Built c. 1900 or c. 1890."),
            ("{{lang-ar|{{large|الله}}}} ''{{transl|ar|DIN|Allāh}}''.", "الله Allāh."),
            ("{{Infobox thing\n| name = X\n| sub = {{small|y}}\n}}\n'''X''' is {{As of|2014|lc=y}} a {{frac|1|2}} x.",
             "X is as of 2014 a 1/2 x."),
            ("{{unknown template|with|args}}Only {{cite book|title=T}}this.", "Only this."),
        ]
        for (wikitext, expected) in cases {
            XCTAssertEqual(first.extract(wikitext).text, expected, wikitext)
        }
    }

    func testParagraphSelection() {
        let page = """
            {{Hatnote|For other uses, see [[X (disambiguation)]].}}
            {{Infobox
            | name = X

            | image = x.jpg
            }}
            :''This line is indented.''
            * a list item
            [[File:X.jpg|thumb|Caption.]]
            {{Use dmy dates}}
            '''X''' is the first real paragraph,
            continued on a second line.
            [[File:Y.jpg|thumb|a floating image]]
            Still the same paragraph.

            Second paragraph.
            * list ends nothing
            Third paragraph.
            ----
            == Heading ==
            Body text.
            """
        XCTAssertEqual(first.extract(page).text,
                       "X is the first real paragraph, continued on a second line. Still the same paragraph.")
        XCTAssertEqual(WikitextExtractor(extent: .leadSection).extract(page).text,
                       "X is the first real paragraph, continued on a second line. Still the same paragraph.\n"
                       + "Second paragraph.\nThird paragraph.")
        // No prose in the lead: the first section that has some.
        XCTAssertEqual(first.extract("{{Infobox|a=b}}\n* list\n== A ==\n* more\n== B ==\nProse here.\n").text,
                       "Prose here.")
        XCTAssertEqual(first.extract("{{Infobox|a=b}}\n\n[[Category:X]]").text, "")
    }

    func testSentenceBoundaries() {
        let text = "J. R. R. Tolkien met Dr. Smith in the U.S. in c. 1920, e.g. at St. Paul's. No. 5 won! "
            + "Was it? \"Yes.\" The end."
        let sentences = WikitextTextCleaner.sentences(Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
        XCTAssertEqual(sentences, ["J. R. R. Tolkien met Dr. Smith in the U.S. in c. 1920, e.g. at St. Paul's.",
                                   "No. 5 won!", "Was it?", "\"Yes.\"", "The end."])
    }

    // MARK: - Unbalanced markup

    func testUnbalancedMarkup() {
        let cases: [(String, String)] = [
            // An unclosed template swallows the rest of its line; `| key = value` lines after it are not prose.
            ("'''X''' is {{cite web|title=T\n\nSecond paragraph.", "X is"),
            ("{{Infobox person\n| name = X\n| born = 1900\n'''X''' was a person.", "X was a person."),
            ("'''X''' is a }} thing ]] with stray {{{ closers }}}.", "X is a thing with stray."),
            ("'''X''' is a [[link without end and more.\n\nNext.", "X is a link without end and more."),
            ("'''X''' has a ref<ref>never closed and continues.\n\nNext.", "X has a refnever closed and continues."),
            ("'''X''' has <!-- a comment never closed\nstill comment\n\nVisible again.", "X has"),
            ("{{a|b}} {{c|{{d|e}} f\n'''Y''' {{g|h\n|i}} {{nowrap|j}} is.", "Y j is."),
            ("{{a|{{b|[[c|{{d}}]]}}\n\nText after unbalanced nesting.", "Text after unbalanced nesting."),
            ("'''X''' <math>never closed and text.", "X never closed and text."),
            ("{| class=x\n| cell\n\nText after an unclosed table.", "Text after an unclosed table."),
            ("[[a|{{b]]}} c", "c"),
        ]
        for (wikitext, expected) in cases {
            let page = first.extract(wikitext)
            XCTAssertEqual(page.text, expected, wikitext)
            assertClean(page.text, wikitext)
        }
        XCTAssertEqual(WikitextExtractor(extent: .leadSection).extract(
            "'''X''' has <!-- a comment never closed\nstill comment\n\nVisible again.").text, "X has\nVisible again.")
    }

    /// A ~100 MB page: deep nesting then a huge unclosed infobox. Linear work and explicit stacks; the test
    /// asserts the output (it takes seconds in a debug build, a fraction of that optimized).
    func testHugePageCompletes() {
        let half = 50 << 20
        let depth = half / 6
        let row = "| key = value [[link|label]] {{small|x}}\n"
        // (Built with String(repeating:), which is fast even in debug builds.)
        let page = Array(("'''Huge''' is a test.\n\n" + String(repeating: "{{a|", count: depth)
                          + String(repeating: "}}", count: depth) + "\n{{Infobox\n"
                          + String(repeating: row, count: half / row.utf8.count)
                          + "\n== Heading ==\n[[Category:Big]]").utf8)
        XCTAssertGreaterThan(page.count, 100_000_000)
        let result = first.extract(page)
        XCTAssertEqual(result.text, "Huge is a test.")
        XCTAssertEqual(result.categories, ["Big"])
    }

    /// Smaller (8 MB) adversarial pages through every stage, including rendering the whole lead.
    func testLargeAdversarialPages() {
        let size = 8 << 20
        let lead = WikitextExtractor(extent: .leadSection)
        let row = "| key = value [[link|label]] {{small|x}}\n"
        let unclosed = Array(("'''Huge''' is a test.\n\n{{Infobox\n" + String(repeating: row, count: size / row.utf8.count)
                              + "\n'''After''' the rows.").utf8)
        // The unclosed infobox's first line goes, its rows are not prose, the text after them is.
        XCTAssertEqual(lead.extract(unclosed).text, "Huge is a test.\nAfter the rows.")

        let depth = size / 6
        let nested = Array((String(repeating: "{{a|", count: depth) + String(repeating: "}}", count: depth)
                            + "'''Deep''' nesting ends here.").utf8)
        XCTAssertEqual(lead.extract(nested).text, "Deep nesting ends here.")

        // Never closed at all: the first `{{` swallows the rest of its (single, 8 MB) line.
        let open = Array(("'''Open''' ends here.\n" + String(repeating: "{{a|[[b|", count: size / 8)).utf8)
        XCTAssertEqual(lead.extract(open).text, "Open ends here.")

        let strays = Array(("'''Stray''' closers." + String(repeating: "}} ]] </ref> {{{x}}}\n|}\n", count: size / 24)).utf8)
        XCTAssertEqual(lead.extract(strays).text, "Stray closers.")

        let comments = Array(("'''Comments''' end." + String(repeating: "<!-- x\n\n<math>a\n\n<ref>", count: size / 24)).utf8)
        XCTAssertEqual(first.extract(comments).text, "Comments end.")
    }

    // MARK: - Fuzzing

    func testFuzzedRealPagesNeverLeakSyntax() throws {
        let articles = try WikitextSample.articles().map { Array($0.text.utf8.prefix(12_000)) }
        let snippets = ["{{", "}}", "[[", "]]", "{{{", "}}}", "<ref>", "</ref>", "<ref name=a/>", "<!--", "-->", "{|",
                        "|}", "\n|", "\n!", "'''", "''", "<math>", "</math>", "<nowiki>", "\n\n", "\n== H ==\n", "|",
                        "&#91;&#91;", "&#123;&#123;", "[http://x ", "]", "[[File:", "[[Category:", "&lt;ref",
                        "{{lang|fr|", "{{convert|1|", "(", ")", "\n*", "<span>", "__NOTOC__", "'", "{", "}", "[",
                        "<", ">"].map { Array($0.utf8) }
        var rng = SplitMix64(seed: 0x5EED_1234)
        let extractors = [first, WikitextExtractor(extent: .sentences(3)), WikitextExtractor(extent: .leadSection)]
        for iteration in 0..<3000 {
            var page = articles[Int(rng.next() % UInt64(articles.count))]
            for _ in 0..<(1 + Int(rng.next() % 8)) {
                let at = page.isEmpty ? 0 : Int(rng.next() % UInt64(page.count + 1))
                switch rng.next() % 5 {
                case 0: page.insert(contentsOf: snippets[Int(rng.next() % UInt64(snippets.count))], at: at)
                case 1: page.removeSubrange(at..<min(page.count, at + Int(rng.next() % 200)))
                case 2: page.removeSubrange(at...)  // truncation
                case 3:
                    let end = min(page.count, at + Int(rng.next() % 300))
                    page.insert(contentsOf: Array(page[at..<end]), at: Int(rng.next() % UInt64(page.count + 1)))
                default: if at < page.count { page[at] = UInt8(truncatingIfNeeded: rng.next()) }
                }
            }
            let extractor = extractors[iteration % extractors.count]
            let result = extractor.extract(page)
            assertClean(result.text, "fuzz iteration \(iteration)")
            XCTAssertFalse(result.categories.contains { $0.contains("]") || $0.contains("|") || $0.isEmpty })
        }
    }

    // MARK: - Helpers

    /// The output guarantee, checked on bytes (a combining mark after `'` must not hide `''`).
    private func assertClean(_ text: String, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        let bytes = Array(text.utf8)
        for bad in ["{{", "}}", "[[", "]]", "''", "{|", "|}"] {
            XCTAssertFalse(contains(bytes, Array(bad.utf8)), "\(bad) in \(context): \(text)", file: file, line: line)
        }
        XCTAssertFalse(contains(Array(text.lowercased().utf8), Array("<ref".utf8)), "<ref in \(context)",
                       file: file, line: line)
        XCTAssertFalse(bytes.contains(WikitextRenderer.paragraphBreak) || bytes.contains(WikitextRenderer.blockLine),
                       "marker byte in \(context)", file: file, line: line)
        for textLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            XCTAssertFalse(textLine.hasPrefix("|") || textLine.hasPrefix("!"), "\(context): \(textLine)",
                           file: file, line: line)
            XCTAssertEqual(textLine.trimmingCharacters(in: .whitespaces).count, textLine.count, "untrimmed in \(context)",
                           file: file, line: line)
        }
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return true }
        }
        return false
    }
}

/// One extractor value shared by worker threads gives the same results as sequential use.
final class WikitextExtractorConcurrencyTests: XCTestCase {
    func testConcurrentUseMatchesSequential() throws {
        let articles = try WikitextSample.articles()
        let extractor = WikitextExtractor(extent: .sentences(2))
        let expected = articles.map { extractor.extract($0.text) }
        let results = ResultBox(count: articles.count)
        DispatchQueue.concurrentPerform(iterations: articles.count) { index in
            results.set(index, extractor.extract(articles[index].text))
        }
        XCTAssertEqual(results.values, expected)
    }

    private final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var storage: [WikitextExtractor.Page?]
        init(count: Int) { storage = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ page: WikitextExtractor.Page) { lock.lock(); storage[index] = page; lock.unlock() }
        var values: [WikitextExtractor.Page] { storage.map { $0! } }
    }
}
