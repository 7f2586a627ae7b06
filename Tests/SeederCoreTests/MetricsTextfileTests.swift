import Foundation
import XCTest
@testable import SeederCore

final class MetricsTextfileTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "/seeder-textfile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testWritesTheRenderedContent() throws {
        let path = directory + "/seeder.prom"
        let m = sampleMetrics()
        try MetricsTextfile(path: path).write(m)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), PrometheusExposition.render(m))
        try MetricsTextfile(path: path).write(minimalMetrics())
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), PrometheusExposition.render(minimalMetrics()))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["seeder.prom"])
    }

    func testConcurrentReaderNeverSeesAPartialFile() throws {
        let path = directory + "/seeder.prom"
        let file = MetricsTextfile(path: path)
        // Each version differs in length too, so a torn read could not match any of them.
        let versions = (0..<200).map { i -> RunMetrics in
            var m = sampleMetrics(stored: Int64(i) * 1_000_003)
            m.skipped["reason_\(i)"] = Int64(i)
            return m
        }
        let expected = Set(versions.map(PrometheusExposition.render))
        try file.write(versions[0])

        let state = ReaderState()
        let reader = Thread {
            while !state.isDone {
                guard let data = FileManager.default.contents(atPath: path) else {
                    state.record(problem: "the file vanished during a rename")
                    continue
                }
                let text = String(decoding: data, as: UTF8.self)
                if !expected.contains(text) || !text.hasSuffix("\n") {
                    state.record(problem: "read \(data.count) bytes that match no written version")
                } else if (try? parseExposition(text)) == nil {
                    state.record(problem: "read a version that does not parse")
                } else {
                    state.record(problem: nil)
                }
            }
            state.finish()
        }
        reader.start()
        for m in versions { try file.write(m) }
        state.stop()
        state.waitFinished()

        XCTAssertEqual(state.problems, [], "the reader saw partial or missing files")
        XCTAssertGreaterThan(state.goodReads, 0, "the reader never got to read")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), PrometheusExposition.render(versions[199]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["seeder.prom"], "temp files left behind")
    }

    func testMissingDirectoryGivesAnErrorNamingThePath() {
        let path = directory + "/no-such-dir/seeder.prom"
        XCTAssertThrowsError(try MetricsTextfile(path: path).write(sampleMetrics())) { error in
            guard let e = error as? MetricsExportError else { return XCTFail("unexpected error \(error)") }
            XCTAssertEqual(e.target, path)
            XCTAssertTrue(e.description.contains(path), e.description)
            XCTAssertTrue(e.description.contains("No such file or directory"), e.description)
            XCTAssertTrue(e.description.contains("Check that the directory exists and is writable by this user"), e.description)
        }
    }

    func testFailedRenameLeavesNoTempFile() throws {
        // A directory in the target's place makes rename(2) fail after the temp file was written.
        let path = directory + "/seeder.prom"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        XCTAssertThrowsError(try MetricsTextfile(path: path).write(sampleMetrics())) { error in
            XCTAssertTrue(String(describing: error).contains(path), String(describing: error))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["seeder.prom"])
    }
}

/// What the reader thread saw, shared with the test under a lock.
private final class ReaderState: @unchecked Sendable {
    private let lock = NSCondition()
    private var done = false
    private var finished = false
    private(set) var problems: [String] = []
    private(set) var goodReads = 0

    var isDone: Bool { lock.lock(); defer { lock.unlock() }; return done }
    func stop() { lock.lock(); done = true; lock.unlock() }
    func record(problem: String?) {
        lock.lock(); defer { lock.unlock() }
        if let problem { if problems.count < 5 { problems.append(problem) } } else { goodReads += 1 }
    }
    func finish() { lock.lock(); finished = true; lock.broadcast(); lock.unlock() }
    func waitFinished() {
        lock.lock(); defer { lock.unlock() }
        while !finished { lock.wait() }
    }
}
