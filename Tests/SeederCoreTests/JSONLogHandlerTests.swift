#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import XCTest
@testable import SeederCore

final class JSONLogHandlerTests: XCTestCase {
    private func makeLogger(_ sink: LineSink, label: String = "seeder.test", provider: Logger.MetadataProvider? = nil) -> Logger {
        Logger(label: label) { label in
            JSONLogHandler(label: label, metadataProvider: provider, sink: { sink.append($0) },
                           clock: { Date(timeIntervalSince1970: 1_795_489_262.123) })
        }
    }

    private func object(_ line: String, file: StaticString = #filePath, line lineNumber: UInt = #line) throws -> [String: Any] {
        XCTAssertTrue(line.hasSuffix("\n"), "line does not end in a newline: \(line)", file: file, line: lineNumber)
        XCTAssertEqual(line.filter { $0 == "\n" }.count, 1, "more than one newline in \(line)", file: file, line: lineNumber)
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try XCTUnwrap(parsed as? [String: Any], "not a JSON object: \(line)", file: file, line: lineNumber)
    }

    func testLineHasExactFields() throws {
        let sink = LineSink()
        let provider = Logger.MetadataProvider { ["trace_id": "abc", "shared": "provider"] }
        var logger = makeLogger(sink, provider: provider)
        logger[metadataKey: "run"] = "r1"
        logger[metadataKey: "shared"] = "handler"
        logger[metadataKey: "both"] = "handler"
        logger.info("stored rows", metadata: [
            "both": "call",
            "rows": .stringConvertible(42),
            "nested": ["a": "1", "b": ["x", "y"]],
        ])
        let lines = sink.lines
        XCTAssertEqual(lines.count, 1)
        let obj = try object(try XCTUnwrap(lines.first))
        XCTAssertEqual(Set(obj.keys), ["ts", "level", "logger", "msg", "run", "shared", "both", "rows", "nested", "trace_id"])
        XCTAssertEqual(obj["ts"] as? String, "2026-11-24T03:01:02.123Z")
        XCTAssertEqual(obj["level"] as? String, "info")
        XCTAssertEqual(obj["logger"] as? String, "seeder.test")
        XCTAssertEqual(obj["msg"] as? String, "stored rows")
        XCTAssertEqual(obj["run"] as? String, "r1")
        XCTAssertEqual(obj["shared"] as? String, "provider")
        XCTAssertEqual(obj["both"] as? String, "call")
        XCTAssertEqual(obj["rows"] as? String, "42")
        XCTAssertEqual(obj["trace_id"] as? String, "abc")
        let nested = try XCTUnwrap(obj["nested"] as? [String: Any])
        XCTAssertEqual(nested["a"] as? String, "1")
        XCTAssertEqual(nested["b"] as? [String], ["x", "y"])
        // The fixed keys come first, in this order.
        XCTAssertTrue(lines[0].hasPrefix("{\"ts\":\"2026-11-24T03:01:02.123Z\",\"level\":\"info\",\"logger\":\"seeder.test\",\"msg\":\"stored rows\","), lines[0])
    }

    func testMetadataCannotOverwriteFixedKeys() throws {
        let sink = LineSink()
        let logger = makeLogger(sink)
        logger.warning("real", metadata: ["msg": "fake", "level": "fake", "ts": "fake", "logger": "fake", "meta_msg": "mine"])
        let obj = try object(try XCTUnwrap(sink.lines.first))
        XCTAssertEqual(obj["msg"] as? String, "real")
        XCTAssertEqual(obj["level"] as? String, "warning")
        XCTAssertEqual(obj["logger"] as? String, "seeder.test")
        XCTAssertEqual(obj["ts"] as? String, "2026-11-24T03:01:02.123Z")
        XCTAssertEqual(obj["meta_level"] as? String, "fake")
        XCTAssertEqual(obj["meta_ts"] as? String, "fake")
        XCTAssertEqual(obj["meta_logger"] as? String, "fake")
        XCTAssertEqual(obj["meta_msg"] as? String, "mine")
        XCTAssertEqual(obj["meta_meta_msg"] as? String, "fake")
        XCTAssertEqual(obj.count, 9)
    }

    func testEscaping() throws {
        let sink = LineSink()
        let logger = makeLogger(sink, label: "lab\"el")
        let tricky = "q\" b\\ n\n t\t c\u{01} naïve 日本"
        logger.error("\(tricky)", metadata: ["k\"ey": "\(tricky)"])
        let line = try XCTUnwrap(sink.lines.first)
        XCTAssertTrue(line.contains("\\u0001"), line)
        XCTAssertTrue(line.contains("\\\""), line)
        XCTAssertTrue(line.contains("\\\\"), line)
        XCTAssertTrue(line.contains("\\n"), line)
        XCTAssertTrue(line.contains("\\t"), line)
        XCTAssertTrue(line.contains("naïve 日本"), "non-ASCII must stay as UTF-8: \(line)")
        let obj = try object(line)
        XCTAssertEqual(obj["msg"] as? String, tricky)
        XCTAssertEqual(obj["k\"ey"] as? String, tricky)
        XCTAssertEqual(obj["logger"] as? String, "lab\"el")
        XCTAssertEqual(obj["level"] as? String, "error")
    }

    func testEveryControlCharacterIsEscaped() throws {
        let all = String(String.UnicodeScalarView((0..<0x20).compactMap(Unicode.Scalar.init)))
        var out = ""
        JSONLogHandler.appendString(all, to: &out)
        XCTAssertFalse(out.unicodeScalars.contains { $0.value < 0x20 }, out)
        let back = try JSONSerialization.jsonObject(with: Data("[\(out)]".utf8)) as? [String]
        XCTAssertEqual(back, [all])
    }

    func testLogLevelFilters() {
        let sink = LineSink()
        var logger = makeLogger(sink)
        logger.logLevel = .warning
        logger.info("dropped")
        logger.debug("dropped")
        logger.warning("kept")
        XCTAssertEqual(sink.lines.count, 1)
        XCTAssertTrue(sink.lines.first?.contains("\"msg\":\"kept\"") ?? false)
        XCTAssertEqual(JSONLogHandler(label: "x").logLevel, .info)
    }

    func testTimestampFormat() {
        XCTAssertEqual(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(JSONLogHandler.timestamp(Date(timeIntervalSince1970: -1.5)), "1969-12-31T23:59:58.500Z")
        XCTAssertEqual(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 1_795_489_262.9996)), "2026-11-24T03:01:03.000Z")
    }

    func testConcurrentLinesNeverInterleave() throws {
        // The sink appends byte by byte with no lock of its own: only the handler's lock keeps lines whole.
        let sink = ByteSink()
        let logger = Logger(label: "seeder.concurrent") { JSONLogHandler(label: $0, sink: { sink.appendBytes($0) }) }
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for i in 0..<500 {
                logger.info("line with some length to widen the window for interleaving", metadata: ["thread": "\(thread)", "i": "\(i)"])
            }
        }
        let text = String(decoding: sink.bytes, as: UTF8.self)
        XCTAssertTrue(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.count, 4000)
        var seen = Set<String>()
        for line in lines {
            let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
            let key = "\(obj["thread"] as? String ?? "?")/\(obj["i"] as? String ?? "?")"
            XCTAssertTrue(seen.insert(key).inserted, "duplicate \(key)")
        }
        XCTAssertEqual(seen.count, 4000)
    }

    func testDefaultWritesOneLineToStandardError() throws {
        // Swap fd 2 for a file for the length of one log call.
        let path = NSTemporaryDirectory() + "/seeder-stderr-\(UUID().uuidString)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { unlink(path) }
        let saved = dup(STDERR_FILENO)
        dup2(fd, STDERR_FILENO)
        Logger(label: "seeder.stderr") { JSONLogHandler(label: $0) }.notice("to stderr")
        dup2(saved, STDERR_FILENO)
        close(saved)
        close(fd)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let obj = try object(text)
        XCTAssertEqual(obj["msg"] as? String, "to stderr")
        XCTAssertEqual(obj["level"] as? String, "notice")
    }
}

/// Collects whole lines; locked itself, for tests that do not test the handler's lock.
final class LineSink: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    func append(_ line: String) { lock.lock(); storage.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return storage }
}

/// Appends one byte at a time and has no lock: unsynchronized callers would interleave (or crash).
final class ByteSink: @unchecked Sendable {
    private(set) var bytes: [UInt8] = []
    func appendBytes(_ line: String) {
        for byte in line.utf8 { bytes.append(byte) }
    }
}
