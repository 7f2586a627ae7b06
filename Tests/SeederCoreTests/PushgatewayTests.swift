import AsyncHTTPClient
import Foundation
import XCTest
@testable import SeederCore

final class PushgatewayTests: XCTestCase {
    private var process: Process?
    private var baseURL = ""
    private var http: HTTPClient?

    override func setUp() async throws {
        guard requireTool("/usr/bin/prometheus-pushgateway") else {
            throw MissingTool(path: "/usr/bin/prometheus-pushgateway")
        }
        let port = try freeLoopbackPort()
        baseURL = "http://127.0.0.1:\(port)"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus-pushgateway")
        // Debian's build defaults --persistence.file to /var/lib/prometheus/pushgateway.data; an explicit
        // empty value keeps the test's groups in memory, so runs neither share nor leave state.
        p.arguments = ["--web.listen-address=127.0.0.1:\(port)", "--persistence.file=", "--log.level=warn"]
        let log = Pipe()
        p.standardOutput = log
        p.standardError = log
        try p.run()
        process = p
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        http = client
        // Bounded wait for readiness: poll /-/ready, give up after 15 s or when the process dies.
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            if !p.isRunning {
                let output = String(decoding: log.fileHandleForReading.availableData, as: UTF8.self)
                XCTFail("pushgateway exited with status \(p.terminationStatus) before it was ready:\n\(output)")
                throw CancellationError()
            }
            if let response = try? await client.execute(HTTPClientRequest(url: baseURL + "/-/ready"), timeout: .seconds(1)),
               response.status.code == 200 {
                break
            }
            guard ContinuousClock.now < deadline else {
                XCTFail("pushgateway did not answer /-/ready on \(baseURL) within 15 s")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    override func tearDown() async throws {
        try await http?.shutdown()
        http = nil
        if let process, process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        process = nil
    }

    private func scrape() async throws -> [ParsedSample] {
        let client = try XCTUnwrap(http)
        let response = try await client.execute(HTTPClientRequest(url: baseURL + "/metrics"), timeout: .seconds(5))
        XCTAssertEqual(response.status.code, 200)
        let body = try await response.body.collect(upTo: 16 << 20)
        return try parseExposition(String(buffer: body))
    }

    private func rowsStored(in samples: [ParsedSample]) -> [ParsedSample] {
        samples.filter { $0.name == "seeder_rows_stored_total" }
    }

    func testPushThenScrapeFindsTheSampleWithItsLabels() async throws {
        let gateway = try Pushgateway(url: baseURL)
        do {
            try await gateway.push(sampleMetrics(stored: 42))
        } catch {
            try await gateway.shutdown()
            throw error
        }
        try await gateway.shutdown()
        let rows = rowsStored(in: try await scrape())
        XCTAssertEqual(rows.count, 1, "\(rows)")
        XCTAssertEqual(rows.first?.value, "42")
        XCTAssertEqual(rows.first?.labels, [
            "job": "seeder", "instance": "", "seeder_job": "nightly",
            "model": "sentence-transformers/all-MiniLM-L6-v2", "tenant": "acme", "partition": "2/4",
        ])
    }

    func testSecondPushReplacesTheGroup() async throws {
        let gateway = try Pushgateway(url: baseURL + "/")
        var first = sampleMetrics(stored: 1)
        first.costDollars = 5
        var second = sampleMetrics(stored: 2)
        second.costDollars = nil
        do {
            try await gateway.push(first)
            try await gateway.push(second)
        } catch {
            try await gateway.shutdown()
            throw error
        }
        try await gateway.shutdown()
        let samples = try await scrape()
        XCTAssertEqual(rowsStored(in: samples).map(\.value), ["2"])
        // PUT replaces the whole group: a family only the first push had is gone.
        XCTAssertFalse(samples.contains { $0.name == "seeder_cost_dollars_total" })
    }

    func testSlashesEmptyValuesAndOddCharactersRoundTrip() async throws {
        let gateway = try Pushgateway(url: baseURL)
        let runs = [
            sampleMetrics(job: "nightly", model: "sentence-transformers/all-MiniLM-L6-v2", tenant: "acme", partition: "", stored: 10),
            sampleMetrics(job: "nightly", model: "sentence-transformers/all-MiniLM-L6-v2", tenant: "acme", partition: "1/4", stored: 11),
            sampleMetrics(job: "..", model: "m", tenant: "", partition: "2/4", stored: 12),
            sampleMetrics(job: "we ird?#%", model: "naïve/模型", tenant: "a\"b\\c", partition: "3/4", stored: 13),
        ]
        do {
            for m in runs { try await gateway.push(m) }
        } catch {
            try await gateway.shutdown()
            throw error
        }
        try await gateway.shutdown()
        let rows = rowsStored(in: try await scrape())
        XCTAssertEqual(rows.count, runs.count, "\(rows)")
        for m in runs {
            let match = rows.filter {
                $0.labels["seeder_job"] == m.job && $0.labels["model"] == m.model
                    && ($0.labels["tenant"] ?? "") == m.tenant && ($0.labels["partition"] ?? "") == m.partition
            }
            XCTAssertEqual(match.map(\.value), ["\(m.stored)"], "group of \(m.job) \(m.model) \(m.tenant) \(m.partition) in \(rows)")
        }
    }

    /// Documents how Pushgateway 1.5.1 treats labels that are both in the grouping key and on the samples.
    func testGroupingKeyOverridesSampleLabels() async throws {
        let client = try XCTUnwrap(http)
        let m = sampleMetrics(stored: 7)
        func put(_ body: String) async throws -> UInt {
            var request = HTTPClientRequest(url: baseURL + Pushgateway.groupingPath(m))
            request.method = .PUT
            request.headers.add(name: "Content-Type", value: "text/plain; version=0.0.4")
            request.body = .bytes(Array(body.utf8))
            let response = try await client.execute(request, timeout: .seconds(5))
            _ = try await response.body.collect(upTo: 1 << 20)
            return response.status.code
        }
        // Same values in both places: accepted, nothing changes.
        let sameStatus = try await put(PrometheusExposition.render(m))
        XCTAssertEqual(sameStatus, 200)
        let afterSame = rowsStored(in: try await scrape())
        XCTAssertEqual(afterSame.first?.labels["seeder_job"], "nightly")
        // Different values: still accepted, and the grouping key's value silently wins.
        var other = m
        other.job = "someone-else"
        let otherStatus = try await put(PrometheusExposition.render(other))
        XCTAssertEqual(otherStatus, 200)
        let rows = rowsStored(in: try await scrape())
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows.first?.labels["seeder_job"], "nightly")
    }

    func testNotListeningGivesAClearErrorWithinTheTimeout() async throws {
        let port = try freeLoopbackPort()
        let url = "http://127.0.0.1:\(port)"
        let gateway = try Pushgateway(url: url, timeout: .seconds(3))
        let start = ContinuousClock.now
        do {
            try await gateway.push(sampleMetrics())
            XCTFail("push to a closed port succeeded")
        } catch let error as MetricsExportError {
            XCTAssertTrue(error.description.contains(url + "/metrics/job/seeder/"), error.description)
            XCTAssertTrue(error.description.contains("Check that the Pushgateway is running"), error.description)
        }
        try await gateway.shutdown()
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(6))
    }

    func testSilentServerIsBoundedByTheTimeout() async throws {
        let listener = try SilentListener()
        let url = "http://127.0.0.1:\(listener.port)"
        let gateway = try Pushgateway(url: url, timeout: .seconds(1))
        let start = ContinuousClock.now
        do {
            try await gateway.push(sampleMetrics())
            XCTFail("push to a server that never answers succeeded")
        } catch let error as MetricsExportError {
            XCTAssertTrue(error.description.contains(url), error.description)
        }
        try await gateway.shutdown()
        let elapsed = ContinuousClock.now - start
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(900))
        XCTAssertLessThan(elapsed, .seconds(5))
        withExtendedLifetime(listener) {}
    }

    func testHTTPErrorStatusIsInTheError() async throws {
        let gateway = try Pushgateway(url: baseURL + "/not-a-pushgateway-path")
        do {
            try await gateway.push(sampleMetrics())
            XCTFail("push to a wrong path succeeded")
        } catch let error as MetricsExportError {
            XCTAssertTrue(error.reason.contains("HTTP status 404"), error.description)
            XCTAssertTrue(error.reason.contains("404 page not found"), error.description)
            XCTAssertTrue(error.target.hasPrefix(baseURL + "/not-a-pushgateway-path/metrics/job/seeder"), error.target)
        }
        try await gateway.shutdown()
    }
}

/// Thrown after XCTFail so a test without its tool stops as failed, never as skipped.
struct MissingTool: Error, CustomStringConvertible {
    var path: String
    var description: String { "\(path) is missing; install it with: apt-get install prometheus prometheus-pushgateway" }
}

/// URL checks and grouping-key encoding; no server needed.
final class PushgatewayURLTests: XCTestCase {
    private func rejection(_ url: String, file: StaticString = #filePath, line: UInt = #line) -> MetricsExportError? {
        do {
            let gateway = try Pushgateway(url: url)
            XCTFail("accepted \(url)", file: file, line: line)
            // Only reached on failure; the client must still be shut down.
            let done = expectation(description: "shutdown")
            Task { try? await gateway.shutdown(); done.fulfill() }
            wait(for: [done], timeout: 5)
            return nil
        } catch let error as MetricsExportError {
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return nil
        }
    }

    func testRejectsWrongSchemeMissingHostAndGarbage() {
        for url in ["ftp://pushgateway:9091", "pushgateway:9091", "http://", "http:///metrics", "", "not a url", "http://host:9091/?x=1"] {
            let e = rejection(url)
            XCTAssertTrue(e?.description.contains("http://pushgateway:9091") ?? false, "\(url): \(e?.description ?? "-")")
        }
    }

    func testRejectsCredentialsWithoutEchoingThePassword() {
        for url in ["http://user:s3cr3t@pushgateway:9091", "https://s3cr3t@pushgateway:9091/base", "ftp://u:s3cr3t@h"] {
            let e = rejection(url)
            XCTAssertFalse(e?.description.contains("s3cr3t") ?? true, "\(url): \(e?.description ?? "-")")
            XCTAssertTrue(e?.description.contains("environment variable") ?? false, "\(url): \(e?.description ?? "-")")
        }
    }

    func testAcceptsHTTPAndHTTPSAndTrimsTheTrailingSlash() async throws {
        for (given, kept) in [("http://pushgateway:9091/", "http://pushgateway:9091"), ("https://pg.example/base//", "https://pg.example/base")] {
            let gateway = try Pushgateway(url: given)
            XCTAssertEqual(gateway.url, kept)
            try await gateway.shutdown()
        }
    }

    func testGroupingSegments() {
        XCTAssertEqual(Pushgateway.groupingSegment(name: "tenant", value: "acme-1.x_y~"), "tenant/acme-1.x_y~")
        XCTAssertEqual(Pushgateway.groupingSegment(name: "partition", value: ""), "partition@base64/=")
        XCTAssertEqual(Pushgateway.groupingSegment(name: "partition", value: "2/4"), "partition@base64/Mi80")
        XCTAssertEqual(Pushgateway.groupingSegment(name: "model", value: "sentence-transformers/all-MiniLM-L6-v2"),
                       "model@base64/c2VudGVuY2UtdHJhbnNmb3JtZXJzL2FsbC1NaW5pTE0tTDYtdjI")
        XCTAssertEqual(Pushgateway.groupingSegment(name: "m", value: "??>"), "m@base64/Pz8-")
        XCTAssertEqual(Pushgateway.groupingSegment(name: "j", value: ".."), "j@base64/Li4")
        XCTAssertEqual(Pushgateway.groupingPath(sampleMetrics(job: "nightly", tenant: "acme", partition: "")),
                       "/metrics/job/seeder/seeder_job/nightly/model@base64/c2VudGVuY2UtdHJhbnNmb3JtZXJzL2FsbC1NaW5pTE0tTDYtdjI/tenant/acme/partition@base64/=")
    }
}
