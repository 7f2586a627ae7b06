import XCTest
@testable import SeederCore

/// HTML → text and section splitting over libxml2's HTML parser.
final class HTMLTextTests: XCTestCase {
    func testBlocksInlineAndWhitespace() {
        let html = "<p>Hello   <em>big</em> <b>world</b>,\n  again</p><p>Second&nbsp;para &amp; &lt;tag&gt;</p><div>a<br>b</div>"
        XCTAssertEqual(HTMLText().text(html), "Hello big world, again\nSecond\u{A0}para & <tag>\na\nb")
    }

    func testPreKeptVerbatimAndDroppedElements() {
        let html = """
        <h1>T</h1><script>var x = 1;</script><style>p{}</style><nav>menu</nav><button>Click</button>
        <noscript>no</noscript><template><p>t</p></template><svg><text>s</text></svg>
        <pre>line 1
          indented  two
        &lt;end&gt;</pre><p>after <code>a  b</code> <img src="x.png" alt="a picture"><img src="y.png"></p><!-- hidden -->
        """
        XCTAssertEqual(HTMLText().text(html), "T\nline 1\n  indented  two\n<end>\nafter a  b a picture")
    }

    func testListsAndTables() {
        let html = "<ul><li>one</li><li>two <ul><li>nested</li></ul></li></ul><table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>"
        XCTAssertEqual(HTMLText().text(html), "one\ntwo\nnested\nA | B\n1 | 2")
    }

    func testDroppedClasses() {
        let html = "<p>Body</p><div class=\"x _attribution\"><p>License</p></div>"
        XCTAssertEqual(HTMLText(droppedClasses: ["_attribution"]).text(html), "Body")
        XCTAssertEqual(HTMLText().text(html), "Body\nLicense")
    }

    func testHeadingSections() {
        let html = """
        <html><head><title>The  page</title><meta charset="utf-8"></head><body>
        <p>Intro text.</p><h1 id="top">Top</h1><p>One</p><h2>Sub <code>x</code></h2><p>Two</p><h3><a name="n"></a>Empty</h3><h2>Last</h2>Three
        </body></html>
        """
        let (title, sections) = HTMLText().headingSections(html)
        XCTAssertEqual(title, "The page")
        XCTAssertEqual(sections, [
            .init(anchor: nil, title: "", text: "Intro text."),
            .init(anchor: "top", title: "Top", text: "One", level: 1),
            .init(anchor: nil, title: "Sub x", text: "Two", level: 2),
            .init(anchor: "n", title: "Empty", text: "", level: 3),
            .init(anchor: nil, title: "Last", text: "Three", level: 2),
        ])
    }

    func testAnchorSections() {
        let html = "<p>Intro</p><h2 id=\"a\">A</h2><p>In A</p><p><a name=\"b\"></a>B starts</p><div id=\"c\"><h3>C head</h3>c</div><p id=\"other\">still c</p>"
        let sections = HTMLText().anchorSections(html, anchors: ["a", "b", "c", "missing"])
        XCTAssertEqual(sections, [
            .init(anchor: nil, title: "", text: "Intro"),
            .init(anchor: "a", title: "A", text: "A\nIn A"),
            .init(anchor: "b", title: "", text: "B starts"),
            .init(anchor: "c", title: "C head", text: "C head\nc\nstill c"),
        ])
    }

    func testAnchorInsideHeadingNamesItsSection() {
        let html = "<h1>Page</h1><p>top</p><h2><a name=\"x\"></a>Ex <code>y</code></h2><p>body</p>"
        XCTAssertEqual(HTMLText().anchorSections(html, anchors: ["x"]), [
            .init(anchor: nil, title: "Page", text: "Page\ntop"),
            .init(anchor: "x", title: "Ex y", text: "Ex y\nbody"),
        ])
    }

    func testEmptyAndGarbageInput() {
        XCTAssertEqual(HTMLText().text(""), "")
        XCTAssertEqual(HTMLText().text("   "), "")
        XCTAssertEqual(HTMLText().text("<<<>>> <p unclosed <b>x"), HTMLText().text("<<<>>> <p unclosed <b>x"))
        XCTAssertEqual(HTMLText().text("plain text only"), "plain text only")
        // Deep nesting: walked without recursion; libxml2 itself gives up below 256 levels (no crash, no text).
        func nested(_ depth: Int) -> String {
            String(repeating: "<div>", count: depth) + "deep" + String(repeating: "</div>", count: depth)
        }
        XCTAssertEqual(HTMLText().text(nested(200)), "deep")
        XCTAssertEqual(HTMLText().text(nested(5000)), "")
    }
}
