import Foundation
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The `fake-embedding-server` executable as benchmarks run it: port on stdout, log summary on SIGTERM.
final class FakeEmbeddingServerProcessTests: XCTestCase {
    func testPrintsItsPortServesAndWritesTheLogOnSIGTERM() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("fake-embedding-server").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("fake-embedding-server").path,
            binary.appendingPathComponent("fake-embedding-server").path,
        ]
        let path = try XCTUnwrap(candidates.first { FileManager.default.isExecutableFile(atPath: $0) }, "\(candidates)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out"), log = dir.appendingPathComponent("log.json")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--protocol", "tei", "--dimensions", "3", "--rpm", "100", "--log", log.path]
        process.standardOutput = try FileHandle(forWritingTo: out)
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        var port: Int?
        for _ in 0..<100 where port == nil {
            let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first,
               let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
                port = object["port"] as? Int
            }
            if port == nil { try await Task.sleep(nanoseconds: 50_000_000) }
        }
        let bound = try XCTUnwrap(port, "no port printed")

        var request = URLRequest(url: try XCTUnwrap(URL(string: "http://127.0.0.1:\(bound)/embed")))
        request.httpMethod = "POST"
        request.httpBody = Data(#"{"inputs":["one","two"]}"#.utf8)
        let (data, response) = try await URLSession(configuration: .ephemeral).data(for: request)
        XCTAssertEqual((response as? HTTPURLResponse)?.statusCode, 200)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: data) as? [[Any]])?.count, 2)

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: log)) as? [String: Any])
        XCTAssertEqual(summary["requests"] as? Int, 1)
        XCTAssertEqual(summary["items"] as? Int, 2)
        XCTAssertEqual(summary["peakRequestsPerMinute"] as? Int, 1)
    }
}
