import Foundation
import SeederCore
import XCTest

/// The HTML report in a real browser: headless Chromium loads it from disk, its script runs without error and marks
/// the page, the charts are there, and scripts/report-screenshot writes a real PNG. Chromium missing is a failure,
/// not a skip (scripts/setup installs it).
final class ReportBrowserTests: XCTestCase {
    private static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private static let hostile = "<script>alert(1)</script>\"'&"

    func testTheReportsScriptRunsAndSortsWithoutErrorsInChromium() throws {
        let browser = try requireChromium()
        let dir = try reportTemporaryDirectory()
        let page = "\(dir)/report.html"
        // After the report's own script: click "hits" twice (descending, then ascending) and note the first row each time.
        let clicks = """
            <script>(function () {
              var hits = document.querySelectorAll('#category-table th button')[4];
              var first = function () { return document.querySelector('#category-table tbody tr').cells[1].textContent; };
              hits.click(); var descending = first(); hits.click();
              document.documentElement.dataset.sortCheck = descending + ' then ' + first();
            })();</script>
            """
        let html = ReportHTML.render(Self.report()).replacingOccurrences(of: "</body>", with: clicks + "</body>")
        try html.write(toFile: page, atomically: true, encoding: .utf8)
        let started = Date()
        let run = try runReportProcess(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(dir)/profile",
                                                 "--dump-dom", URL(fileURLWithPath: page).absoluteString])
        XCTAssertFalse(run.timedOut, "chromium --dump-dom took more than 120 s")
        XCTAssertEqual(run.status, 0, run.errors)
        let dom = run.output
        XCTAssertTrue(dom.contains("data-script-status=\"ok\""), "the script did not finish: \(dom.prefix(500))\n\(run.errors.suffix(2000))")
        XCTAssertFalse(dom.contains("data-script-errors"))
        XCTAssertTrue(dom.contains("data-sort-check=\"Physics then (none)\""), "sorting by hits did not reorder the table")
        let title = dom.range(of: "<title>").flatMap { start in
            dom.range(of: "</title>", range: start.upperBound..<dom.endIndex).map { String(dom[start.upperBound..<$0.lowerBound]) }
        }
        XCTAssertNotNil(title)
        XCTAssertFalse(title?.hasPrefix("script error") ?? true, title ?? "")
        for id in ["chart-hits-by-category", "chart-density-vs-rows", "chart-hits-over-time"] {
            XCTAssertNotNil(dom.range(of: "<svg[^>]* id=\"\(id)\"", options: .regularExpression), id)
        }
        // The hostile category stayed text: the browser serializes it escaped, and its script never became an element.
        XCTAssertTrue(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertFalse(dom.contains("<script>alert(1)"))
        print("chromium --dump-dom: \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    func testReportScreenshotWritesAPNG() throws {
        _ = try requireChromium()
        let dir = try reportTemporaryDirectory()
        let page = "\(dir)/report.html", png = "\(dir)/shot.png"
        try ReportHTML.render(Self.report()).write(toFile: page, atomically: true, encoding: .utf8)
        let script = Self.repoRoot.appendingPathComponent("scripts/report-screenshot").path
        let started = Date()
        let run = try runReportProcess(script, [page, png])
        XCTAssertFalse(run.timedOut, "scripts/report-screenshot took more than 120 s")
        XCTAssertEqual(run.status, 0, run.errors)
        XCTAssertEqual(run.output.trimmingCharacters(in: .whitespacesAndNewlines), png)
        let data = try Data(contentsOf: URL(fileURLWithPath: png))
        XCTAssertEqual(Array(data.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "not a PNG")
        XCTAssertGreaterThan(data.count, 10_000)
        print("scripts/report-screenshot: \(String(format: "%.1f", Date().timeIntervalSince(started))) s, \(data.count) bytes")
    }

    // MARK: Helpers

    /// A few categories, one with a hostile name, and three days of history.
    private static func report() -> ExpansionReport {
        func category(_ source: String, _ name: String, _ rows: Int64, _ rowsHit: Int64, _ hits: Int64, _ verdict: ExpansionReport.Verdict,
                      next: Int = 0) -> ExpansionReport.CategoryFigures {
            .init(source: source, category: name, figures: .init(rows: rows, rowsHit: rowsHit, hits: hits, lastHit: hits > 0 ? "2026-11-22 17:04:11" : nil),
                  lift: Double(hits) / Double(rows) / 0.4, upperBound: Double(hits) / Double(rows) + 0.1, verdict: verdict, nextTexts: next,
                  costToMake: Double(rows) * 0.0001, saved: Double(hits) * 0.0001)
        }
        return ExpansionReport(
            job: "wikipedia-en", model: "minilm-l6", modelVersion: "2", tenant: "acme", generatedAt: "2026-11-23T06:00:00Z",
            totals: .init(rows: 15_045, rowsHit: 2_010, hits: 6_020, lastHit: "2026-11-22 17:04:11"),
            categories: [
                category("wikipedia", "Physics", 10_000, 1_500, 5_000, .expand, next: 600),
                category("wikipedia", hostile, 45, 30, 400, .explore, next: 400),
                category("wordnet", "noun.artifact", 2_700, 400, 600, .keep),
                category("wordnet", "", 2_300, 80, 20, .drop),
            ],
            recommendation: .init(rule: "Seed more of what is hit: upper confidence bound on hits per row.", budget: 1_000,
                                  split: [.init(source: "wikipedia", category: "Physics", texts: 600, verdict: .expand),
                                          .init(source: "wikipedia", category: hostile, texts: 400, verdict: .explore)],
                                  drop: [.init(source: "wordnet", category: "")]),
            cost: .init(pricePerEmbedding: 0.0001, tokens: 2_400_000, costToMake: 1.5045, costBasis: "per-embedding", saved: 0.602),
            history: [.init(day: "2026-11-21", rows: 14_000, rowsHit: 1_500, hits: 4_100),
                      .init(day: "2026-11-22", rows: 15_045, rowsHit: 1_900, hits: 5_600),
                      .init(day: "2026-11-23", rows: 15_045, rowsHit: 2_010, hits: 6_020)])
    }

    private func requireChromium() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["chromium", "chromium-headless-shell"] {
            for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        XCTFail("install chromium: apt-get install chromium")
        throw CocoaError(.fileNoSuchFile)
    }

    private func reportTemporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("seeder-report-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Runs a program in its own process group, output and errors to files, and kills the whole group after 120 s.
    /// posix_spawn and waitpid rather than Process, which has hung here on programs that leave daemons behind (Chromium
    /// starts helpers); the group is killed at the end either way so no helper outlives the test.
    private func runReportProcess(_ program: String, _ arguments: [String], timeout: TimeInterval = 120)
        throws -> (status: Int32, output: String, errors: String, timedOut: Bool) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("seeder-report-run-\(UUID().uuidString)").path
        let outPath = base + ".out", errPath = base + ".err"
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0, timedOut = false
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno != EINTR) { break }
            if Date() > deadline {
                timedOut = true
                kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                break
            }
            usleep(50_000)
        }
        kill(-pid, SIGKILL)  // helpers left in the group, if any
        // WIFEXITED / WEXITSTATUS, which Swift doesn't import.
        let exitStatus: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let read = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
        return (exitStatus, read(outPath), read(errPath), timedOut)
    }
}
