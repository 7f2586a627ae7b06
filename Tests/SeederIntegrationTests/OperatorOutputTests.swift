import FakeEmbeddingServer
import Foundation
import SeederCore
import XCTest

/// What an operator sees and checks, through the binary: the live progress line in a real terminal (tmux), JSON log
/// lines, Prometheus metrics read by promtool and a real Pushgateway, `seeder doctor`, `--dry-run`, and the
/// deployment files checked by real tools.
final class OperatorOutputTests: XCTestCase {
    /// Runs a program to completion, output collected. posix_spawn and waitpid, not Process: tmux's client forks its
    /// server and exits at once, and Foundation's Process on Linux was seen to leave such a child unreaped (a zombie),
    /// with waitUntilExit() never returning.
    @discardableResult
    func shell(_ program: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
        let dir = FileManager.default.temporaryDirectory.path
        let out = "\(dir)/op-\(UUID().uuidString).out", inputPath = "\(dir)/op-\(UUID().uuidString).in"
        FileManager.default.createFile(atPath: inputPath, contents: Data((input ?? "").utf8))
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: inputPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitStatus, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    func requireTool(_ path: String, package: String) throws {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            XCTFail("\(path) is missing: apt-get install \(package) (scripts/setup installs it)")
            throw CocoaError(.fileNoSuchFile)
        }
    }

    // MARK: Progress in a real terminal

    func testTheProgressLineIsRedrawnInPlaceInARealTerminalAndCtrlCStopsAtACheckpoint() async throws {
        try requireTool("/usr/bin/tmux", package: "tmux")
        let server = try await startFakeServer(self) { $0.faults.latencyMs = 40 }
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        // A compressed input big enough to show progress through it, and chunks small enough to update it often.
        let input = "\(dir)/abstracts.xml.gz"
        try AbstractsDumpGenerator(samplePath: Repo.abstractsSample, repeatFraction: 0.1, seed: 8).write(count: 20_000, to: input)
        let job = "\(dir)/job.toml"
        try writeJob(at: job, input: input, shards: ["\(dir)/s0.sqlite"])
        let session = "seeder-progress-\(getpid())"
        let socket = "\(dir)/tmux.sock"
        let command = "'\(seeder.path)' run '\(job)' --provider openai --base-url \(server.baseURL) --concurrency 2 --batch-size 16 "
            + "--chunk-records 200; echo EXIT=$?; sleep 600"
        try shell("/usr/bin/tmux", ["-S", socket, "new-session", "-d", "-s", session, "-x", "160", "-y", "30", command])
        addTeardownBlock { _ = try? self.shell("/usr/bin/tmux", ["-S", socket, "kill-server"]) }
        func screen() throws -> [String] {
            try shell("/usr/bin/tmux", ["-S", socket, "capture-pane", "-p", "-t", session]).output.split(separator: "\n").map(String.init)
        }
        func progressLines() throws -> [String] { try screen().filter { $0.contains(" items ") && !$0.hasPrefix("  ") } }
        // While the run works: one line, with the input's percentage, the rate, the ETA and the counts.
        let pattern = try Regex(#"^job\s+\d+\.\d%\s+\d+ items\s+\d+/s\s+ETA \S+\s+embedded \d+\s+stored \d+\s+dup \d+\s+skipped \d+"#)
        var seen: [String] = []
        try waitUntil("a progress line with rate and ETA") {
            seen = try progressLines()
            return seen.contains { $0.contains(pattern) }
        }
        XCTAssertEqual(seen.count, 1, "redrawn in place, not a line per update: \(seen)")
        let first = seen.first ?? ""
        try waitUntil("the line to move on") { try progressLines() != [first] }
        XCTAssertEqual(try progressLines().count, 1)
        // Ctrl-C in the terminal: a clean stop at a checkpoint, the summary below the last progress line, exit 130.
        try shell("/usr/bin/tmux", ["-S", socket, "send-keys", "-t", session, "C-c"])
        try waitUntil("the run to end", timeout: 60) { try screen().contains { $0.hasPrefix("EXIT=") } }
        let final = try screen()
        XCTAssertTrue(final.contains("EXIT=130"), final.joined(separator: "\n"))
        XCTAssertTrue(final.contains { $0.hasPrefix("run ") && $0.hasSuffix(": paused") }, final.joined(separator: "\n"))
        XCTAssertTrue(final.contains { $0.contains("stopped      SIGINT") }, final.joined(separator: "\n"))
    }

    // MARK: Logs

    func testJSONLogsAreOneObjectALineWithProgressTheSummaryAndErrors() async throws {
        let server = try await startFakeServer(self) { $0.faults.latencyMs = 150 }
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let job = try writeHTTPJob(in: dir, kind: "openai", baseURL: server.baseURL, concurrency: 1)
        // About 4 s of work (23 requests of 150 ms) in chunks of 20 records: several progress lines a second apart.
        let out = try seeder.run(["run", job, "--log-format", "json", "--progress", "log", "--progress-interval", "1", "--chunk-records", "20"])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertEqual(out.stdout, "", "json mode keeps standard output empty")
        let lines = out.stderr.split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 2)
        var events: [[String: Any]] = []
        for line in lines {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
            for key in ["ts", "level", "logger", "msg"] { XCTAssertNotNil(object[key], "\(key) in \(line)") }
            events.append(object)
        }
        let progress = events.filter { ($0["msg"] as? String)?.hasPrefix("progress ") == true }
        XCTAssertFalse(progress.isEmpty, out.stderr)
        XCTAssertNotNil(progress.first?["items_read"])
        let summary = try XCTUnwrap(events.last)
        XCTAssertEqual(summary["msg"] as? String, "run done")
        XCTAssertEqual(summary["state"] as? String, "done")
        XCTAssertEqual(Int(summary["stored"] as? String ?? ""), server.log.itemsServed.count)
        XCTAssertNotNil(summary["skipped"] as? [String: Any])

        let failed = try seeder.run(["run", job, "--log-format", "json", "--input", "\(dir)/missing.xml"])
        XCTAssertEqual(failed.status, SeederExitCode.noInput.rawValue)
        let error = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(failed.stderr.utf8)) as? [String: Any], failed.stderr)
        XCTAssertEqual(error["level"] as? String, "error")
        XCTAssertEqual(error["exit_code"] as? String, "66")
        XCTAssertTrue((error["msg"] as? String ?? "").contains("missing.xml"))
    }

    // MARK: Metrics

    func testTheMetricsFilePassesPromtoolAndThePushgatewayHoldsTheRunsFigures() throws {
        try requireTool("/usr/bin/promtool", package: "prometheus")
        try requireTool("/usr/bin/prometheus-pushgateway", package: "prometheus-pushgateway")
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let port = try ThrowawayPostgres.freePort()
        let gateway = Process()
        gateway.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus-pushgateway")
        // Debian's build persists to /var/lib by default: an empty path keeps it in memory.
        gateway.arguments = ["--web.listen-address=127.0.0.1:\(port)", "--persistence.file=", "--log.level=warn"]
        gateway.standardOutput = FileHandle.nullDevice
        gateway.standardError = FileHandle.nullDevice
        try gateway.run()
        addTeardownBlock { gateway.terminate(); gateway.waitUntilExit() }
        let base = "http://127.0.0.1:\(port)"
        func get(_ path: String) -> String? {
            guard let data = try? Data(contentsOf: URL(string: base + path)!) else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
        try waitUntil("the Pushgateway to listen", timeout: 20) {
            XCTAssertTrue(gateway.isRunning, "the Pushgateway exited")
            return !gateway.isRunning || get("/-/ready") != nil
        }

        let job = "\(dir)/job.toml"
        try writeJob(at: job, input: Repo.abstractsSample, shards: ["\(dir)/s0.sqlite", "\(dir)/s1.sqlite"])
        let metrics = "\(dir)/seeder.prom"
        let out = try seeder.run(["run", job, "--metrics-file", metrics, "--pushgateway", base, "--partition", "0/1", "--quiet"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let text = try String(contentsOfFile: metrics, encoding: .utf8)
        let check = try shell("/usr/bin/promtool", ["check", "metrics"], input: text)
        XCTAssertEqual(check.status, 0, check.output)
        XCTAssertEqual(check.output, "", "promtool finds nothing to lint")
        let status = try seeder.run(["status", job, "--json"])
        let run = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])?.first)
        let stored = try XCTUnwrap((run["counts"] as? [String: Any])?["stored"] as? Int)
        XCTAssertGreaterThan(stored, 0)
        func sample(_ text: String, _ name: String) -> String? {
            text.split(separator: "\n").first { $0.hasPrefix(name + "{") }.map { String($0.split(separator: " ").last ?? "") }
        }
        XCTAssertEqual(sample(text, "seeder_rows_stored_total"), String(stored))
        XCTAssertNotNil(sample(text, "seeder_last_success_timestamp_seconds"), "a finished run sets its success time")
        XCTAssertTrue(text.contains(#"seeder_run_state{seeder_job="job",model="seeder-hash"#), text)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir).contains { $0.hasPrefix(".") }, "no temporary file left")

        let pushed = try XCTUnwrap(get("/metrics"))
        let line = try XCTUnwrap(pushed.split(separator: "\n").first { $0.hasPrefix("seeder_rows_stored_total{") }, pushed)
        XCTAssertTrue(line.contains(#"seeder_job="job""#) && line.contains(#"job="seeder""#), String(line))
        XCTAssertTrue(line.hasSuffix(" \(stored)"), String(line))
    }

    // MARK: doctor and --dry-run

    func testDoctorSaysWhatIsWrongInPlainWordsWithTheRunsExitCode() async throws {
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let job = "\(dir)/job.toml"
        try writeJob(at: job, input: Repo.abstractsSample, shards: ["\(dir)/s0.sqlite", "\(dir)/s1.sqlite"])
        let healthy = try seeder.run(["doctor", job])
        XCTAssertEqual(healthy.status, 0, healthy.stdout + healthy.stderr)
        XCTAssertTrue(healthy.stdout.contains("all 6 checks passed"), healthy.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/s0.sqlite"), "doctor creates nothing")

        let noInput = try seeder.run(["doctor", job, "--input", "\(dir)/nope.xml"])
        XCTAssertEqual(noInput.status, SeederExitCode.noInput.rawValue)
        XCTAssertTrue(noInput.stdout.contains("FAIL  input") && noInput.stdout.contains("nope.xml"), noInput.stdout)

        let noFolder = try seeder.run(["doctor", job, "--shards", "\(dir)/missing/s0.sqlite"])
        XCTAssertEqual(noFolder.status, SeederExitCode.storeUnavailable.rawValue)
        XCTAssertTrue(noFolder.stdout.contains("FAIL  shard 0") && noFolder.stdout.contains("does not exist"), noFolder.stdout)

        let port = try ThrowawayPostgres.freePort()
        let noServer = try seeder.run(["doctor", job, "--provider", "ollama", "--base-url", "http://127.0.0.1:\(port)"])
        XCTAssertEqual(noServer.status, SeederExitCode.providerUnavailable.rawValue)
        XCTAssertTrue(noServer.stdout.contains("FAIL  provider") && noServer.stdout.contains("nothing listens"), noServer.stdout)

        // A run in progress holds the lock: doctor names it.
        let server = try await startFakeServer(self) { $0.faults.latencyMs = 500 }
        let slow = try writeHTTPJob(in: dir, kind: "openai", baseURL: server.baseURL, concurrency: 1)
        let running = seeder.start(["run", slow, "--quiet"])
        try running.run()
        defer { running.terminate(); running.waitUntilExit() }
        // The server stays slow (about 12 s of work), so the run still holds the lock when doctor looks.
        waitUntil("the run to start") { !running.isRunning || server.log.requests > 0 }
        XCTAssertTrue(running.isRunning)
        let locked = try seeder.run(["doctor", slow])
        XCTAssertEqual(locked.status, SeederExitCode.runLocked.rawValue, locked.stdout)
        XCTAssertTrue(locked.stdout.contains("FAIL  lock") && locked.stdout.contains("pid \(running.processIdentifier)"), locked.stdout)
    }

    func testDryRunPrintsThePlanTouchesNothingAndRefusesBadFlags() throws {
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let job = "\(dir)/job.toml"
        try writeJob(at: job, input: Repo.abstractsSample, shards: ["\(dir)/s0.sqlite", "\(dir)/s1.sqlite"])
        let plan = try seeder.run(["run", job, "--dry-run", "--partition", "1/4", "--max-duration", "1h30m", "--max-records", "500"])
        XCTAssertEqual(plan.status, 0, plan.stderr)
        for expected in ["dry run", "minilm-l6", "part 1/4", "the texts whose key falls in part 1", "--max-records 500", "--max-duration 1h30m"] {
            XCTAssertTrue(plan.stdout.contains(expected), "\(expected) in \(plan.stdout)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/s0.sqlite"), "nothing created")
        XCTAssertEqual(try seeder.run(["run", job, "--dry-run", "--no-such-flag"]).status, SeederExitCode.usage.rawValue)
        XCTAssertEqual(try seeder.run(["run", job, "--dry-run", "--partition", "4/4"]).status, SeederExitCode.configuration.rawValue)
        XCTAssertEqual(try seeder.run(["run", job, "--dry-run", "--max-duration", "soon"]).status, SeederExitCode.usage.rawValue)
        let k8s = try seeder.run(["run", job, "--dry-run", "--partitions", "4"], environment: ["JOB_COMPLETION_INDEX": "2"])
        XCTAssertTrue(k8s.stdout.contains("part 2/4"), k8s.stdout + k8s.stderr)
        let noIndex = try seeder.run(["run", job, "--dry-run", "--partitions", "4"], environment: ["JOB_COMPLETION_INDEX": ""])
        XCTAssertEqual(noIndex.status, SeederExitCode.configuration.rawValue, noIndex.stderr)
    }

    // MARK: Deployment files

    func testTheDeploymentFilesPassTheirChecksByRealTools() throws {
        let seeder = try SeederBinary.locate()
        let script = Repo.root.appendingPathComponent("scripts/check-deploy").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        var env = ProcessInfo.processInfo.environment
        env["SEEDER"] = seeder.path
        process.environment = env
        process.currentDirectoryURL = Repo.root
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("check-deploy-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: out, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: out) }
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: out)
        try process.run()
        process.waitUntilExit()
        let output = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        XCTAssertEqual(process.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("0 failed"), output)
        for tool in ["yamllint", "kubernetes-validate", "systemd-analyze verify", "promtool", "dry-run"] {
            XCTAssertTrue(output.contains("ok    \(tool)"), "\(tool) ran: \(output)")
        }
    }
}
