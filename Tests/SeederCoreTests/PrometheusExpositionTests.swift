import Foundation
import XCTest
@testable import SeederCore

final class PrometheusExpositionTests: XCTestCase {
    private func promtoolCheck(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard requireTool("/usr/bin/promtool", file: file, line: line) else { return }
        let result = try runTool("/usr/bin/promtool", ["check", "metrics"], input: text)
        XCTAssertEqual(result.status, 0, "promtool check metrics failed:\n\(result.output)\n--- input ---\n\(text)", file: file, line: line)
        XCTAssertEqual(result.output.trimmingCharacters(in: .whitespacesAndNewlines), "",
                       "promtool reported problems:\n\(result.output)", file: file, line: line)
    }

    func testFullOutputPassesPromtool() throws {
        try promtoolCheck(PrometheusExposition.render(sampleMetrics()))
    }

    func testMinimalOutputPassesPromtool() throws {
        try promtoolCheck(PrometheusExposition.render(minimalMetrics()))
    }

    func testOutputWithoutGroupingLabelsPassesPromtool() throws {
        try promtoolCheck(PrometheusExposition.render(sampleMetrics(), includeGroupingLabels: false))
    }

    func testAwkwardLabelValuesPassPromtool() throws {
        try promtoolCheck(PrometheusExposition.render(sampleMetrics(job: "a\"b\\c\nd", tenant: "x\\\"\n\n")))
    }

    func testPromtoolCatchesABadExposition() throws {
        // Proves the check above can fail: a counter without _total is a lint problem.
        guard requireTool("/usr/bin/promtool") else { return }
        let result = try runTool("/usr/bin/promtool", ["check", "metrics"],
                             input: "# HELP seeder_rows counter\n# TYPE seeder_rows counter\nseeder_rows 1\n")
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("_total"), result.output)
    }

    func testSamplesParseBackWithExactValues() throws {
        let m = sampleMetrics()
        let samples = try parseExposition(PrometheusExposition.render(m))
        let base = ["seeder_job": "nightly", "model": "sentence-transformers/all-MiniLM-L6-v2", "tenant": "acme", "partition": "2/4"]
        func value(_ name: String, _ extra: [String: String] = [:]) -> String? {
            let labels = base.merging(extra) { _, new in new }
            let found = samples.filter { $0.name == name && $0.labels == labels }
            XCTAssertLessThanOrEqual(found.count, 1, "\(name) \(extra) appears more than once")
            return found.first?.value
        }
        XCTAssertEqual(value("seeder_items_read_total"), "10000")
        XCTAssertEqual(value("seeder_records_total"), "9000")
        XCTAssertEqual(value("seeder_records_skipped_total", ["reason": "redirect"]), "100")
        XCTAssertEqual(value("seeder_records_skipped_total", ["reason": "too_long"]), "2")
        XCTAssertEqual(value("seeder_texts_total"), "8898")
        XCTAssertEqual(value("seeder_texts_duplicate_total"), "50")
        XCTAssertEqual(value("seeder_texts_already_stored_total"), "300")
        XCTAssertEqual(value("seeder_texts_embedded_total"), "8548")
        XCTAssertEqual(value("seeder_rows_stored_total"), "1234")
        XCTAssertEqual(value("seeder_texts_sent_total"), "8600")
        XCTAssertEqual(value("seeder_batches_total"), "135")
        XCTAssertEqual(value("seeder_retries_total"), "3")
        XCTAssertEqual(value("seeder_failures_total"), "1")
        XCTAssertEqual(value("seeder_tokens_sent_total"), "1000000")
        XCTAssertEqual(value("seeder_tokens_avoided_total"), "40000")
        XCTAssertEqual(value("seeder_input_read_bytes_total"), "5000000")
        XCTAssertEqual(value("seeder_input_size_bytes"), "20000000")
        XCTAssertEqual(value("seeder_active_seconds_total"), "3600.25")
        XCTAssertEqual(value("seeder_invocation_duration_seconds"), "61.5")
        XCTAssertEqual(value("seeder_stage_seconds_total", ["stage": "source"]), "1.2")
        XCTAssertEqual(value("seeder_stage_seconds_total", ["stage": "embed"]), "30.5")
        XCTAssertEqual(value("seeder_stage_seconds_total", ["stage": "commit"]), "2.1")
        XCTAssertEqual(value("seeder_cost_dollars_total").flatMap(Double.init), 0.02)
        XCTAssertEqual(value("seeder_cost_avoided_dollars_total").flatMap(Double.init), 0.0008)
        XCTAssertEqual(value("seeder_last_success_timestamp_seconds"), "1795000000")
        XCTAssertEqual(value("seeder_last_update_timestamp_seconds"), "1795489262.5")
        XCTAssertEqual(value("seeder_run_state", ["state": "running"]), "1")
        XCTAssertEqual(value("seeder_run_state", ["state": "paused"]), "0")
        XCTAssertEqual(value("seeder_run_state", ["state": "failed"]), "0")
        XCTAssertEqual(value("seeder_run_state", ["state": "done"]), "0")
        XCTAssertEqual(samples.count, 30, "unexpected extra samples:\n\(samples.map(\.name))")
        // The grouping labels come first, in this order, on every sample.
        for line in PrometheusExposition.render(m).split(separator: "\n") where !line.hasPrefix("#") {
            XCTAssertTrue(line.contains("{seeder_job=\"nightly\",model=\"sentence-transformers/all-MiniLM-L6-v2\",tenant=\"acme\",partition=\"2/4\""), String(line))
        }
    }

    func testLabelValuesAreEscapedAndRoundTrip() throws {
        let job = "we\"ird\\job\nline2"
        let tenant = "t\\\"\n"
        let text = PrometheusExposition.render(sampleMetrics(job: job, tenant: tenant, partition: ""))
        XCTAssertTrue(text.contains("seeder_job=\"we\\\"ird\\\\job\\nline2\""), text)
        XCTAssertTrue(text.contains("tenant=\"t\\\\\\\"\\n\""), text)
        XCTAssertTrue(text.contains("partition=\"\""), text)
        let samples = try parseExposition(text)
        XCTAssertFalse(samples.isEmpty)
        for s in samples {
            XCTAssertEqual(s.labels["seeder_job"], job)
            XCTAssertEqual(s.labels["tenant"], tenant)
            XCTAssertEqual(s.labels["partition"], "")
        }
    }

    func testHelpEscaping() {
        XCTAssertEqual(PrometheusExposition.escapeHelp("a\\b\nc\"d"), "a\\\\b\\nc\"d")
    }

    func testFamiliesSortedOnceWithHelpAndType() {
        let text = PrometheusExposition.render(sampleMetrics())
        XCTAssertTrue(text.hasSuffix("\n"))
        let helpNames = text.split(separator: "\n").filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] }
        let typeNames = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        XCTAssertEqual(helpNames, typeNames)
        XCTAssertEqual(helpNames, helpNames.sorted())
        XCTAssertEqual(Set(helpNames).count, helpNames.count)
        XCTAssertEqual(helpNames.count, 24)
    }

    func testOptionalFamiliesAreLeftOutWhenUnknownButSkippedFamilyStays() throws {
        let text = PrometheusExposition.render(minimalMetrics())
        for absent in ["seeder_cost_dollars_total", "seeder_cost_avoided_dollars_total", "seeder_input_size_bytes", "seeder_last_success_timestamp_seconds"] {
            XCTAssertFalse(text.contains(absent), absent)
        }
        XCTAssertTrue(text.contains("# HELP seeder_records_skipped_total "))
        XCTAssertTrue(text.contains("# TYPE seeder_records_skipped_total counter\n"))
        XCTAssertTrue(text.contains("# TYPE seeder_stage_seconds_total counter\n"))
        let samples = try parseExposition(text)
        XCTAssertFalse(samples.contains { $0.name == "seeder_records_skipped_total" })
        XCTAssertEqual(samples.first { $0.name == "seeder_run_state" && $0.labels["state"] == "done" }?.value, "1")
        XCTAssertEqual(samples.first { $0.name == "seeder_last_update_timestamp_seconds" }?.value, "0")
    }

    func testNonFiniteValuesAreSkippedNotPrinted() throws {
        var m = sampleMetrics()
        m.activeSeconds = .nan
        m.invocationSeconds = .infinity
        m.stageSeconds["embed"] = -.infinity
        m.costDollars = .nan
        let text = PrometheusExposition.render(m)
        XCTAssertFalse(text.contains("Inf"), text)
        XCTAssertFalse(text.contains("NaN"), text)
        let samples = try parseExposition(text)
        XCTAssertFalse(samples.contains { $0.name == "seeder_active_seconds_total" })
        XCTAssertFalse(samples.contains { $0.name == "seeder_stage_seconds_total" && $0.labels["stage"] == "embed" })
        XCTAssertTrue(samples.contains { $0.name == "seeder_stage_seconds_total" && $0.labels["stage"] == "source" })
        try promtoolCheck(text)
    }

    func testNumberFormatting() {
        XCTAssertEqual(PrometheusExposition.format(3.0), "3")
        XCTAssertEqual(PrometheusExposition.format(-0.0), "0")
        XCTAssertEqual(PrometheusExposition.format(0.1), "0.1")
        XCTAssertEqual(PrometheusExposition.format(1e-7).flatMap(Double.init), 1e-7)
        XCTAssertEqual(PrometheusExposition.format(1e300).flatMap(Double.init), 1e300)
        XCTAssertEqual(PrometheusExposition.format(1_795_489_262.123).flatMap(Double.init), 1_795_489_262.123)
        XCTAssertNil(PrometheusExposition.format(.nan))
        XCTAssertNil(PrometheusExposition.format(.infinity))
    }
}
