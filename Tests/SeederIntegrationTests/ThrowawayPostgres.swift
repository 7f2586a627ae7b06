import Foundation
import XCTest

/// A PostgreSQL server of the test's own: `initdb` into a temporary folder, `pg_ctl start` on a free loopback
/// port, `pg_ctl stop -m immediate` and the folder removed at teardown. The server refuses to run as root, so under
/// root (CI) it runs as `nobody` through `runuser`, in a folder that user owns.
///
/// A missing server is a failure, not a skip: CI must install it (`scripts/setup` does).
final class ThrowawayPostgres {
    /// The superuser, trusted on loopback (no password: the server lives and dies with the test).
    static let user = "seeder"

    let directory: String
    let port: Int
    private let binDirectory: String
    private let runAs: String?

    /// Starts a server; registers its stop with `test`.
    init(_ test: XCTestCase) throws {
        guard let bin = Self.findBinDirectory() else {
            throw PostgresSetupError("no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin: run scripts/setup")
        }
        binDirectory = bin
        runAs = geteuid() == 0 ? "nobody" : nil
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("seeder-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let runAs {
            let chown = try Self.run("/bin/chown", [runAs, directory])
            guard chown.status == 0 else { throw PostgresSetupError("chown \(runAs) \(directory): \(chown.output)") }
        }
        port = try Self.freePort()
        test.addTeardownBlock { [self] in
            _ = try? run("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "stop"])
            try? FileManager.default.removeItem(atPath: directory)
        }
        let initdb = try run("initdb", ["-D", dataDirectory, "-A", "trust", "-U", Self.user, "-E", "UTF8", "--no-sync"])
        guard initdb.status == 0 else { throw PostgresSetupError("initdb failed (\(initdb.status)): \(initdb.output)") }
        try start()
    }

    /// Starts the server (again, after ``stop()``).
    func start() throws {
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off"
        let start = try run("pg_ctl", ["-D", dataDirectory, "-o", options, "-l", directory + "/server.log", "-w", "-t", "60", "start"])
        guard start.status == 0 else {
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            throw PostgresSetupError("pg_ctl start failed (\(start.status)): \(start.output)\n\(log)")
        }
    }

    /// `pg_ctl stop -m fast`: the server goes away until ``start()``.
    func stop() throws {
        let result = try run("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
        guard result.status == 0 else { throw PostgresSetupError("pg_ctl stop failed: \(result.output)") }
    }

    var dataDirectory: String { directory + "/data" }

    /// A DSN for database `name` on this server.
    func dsn(database name: String = "postgres") -> String {
        "postgres://\(Self.user)@127.0.0.1:\(port)/\(name)"
    }

    /// `pg_ctl restart -m fast`, as an operator restarting the server mid-run would.
    func restart() throws {
        // -l again: without it the new postmaster would write to pg_ctl's output.
        let result = try run("pg_ctl", ["-D", dataDirectory, "-l", directory + "/server.log", "-m", "fast", "-w", "-t", "60", "restart"])
        guard result.status == 0 else { throw PostgresSetupError("pg_ctl restart failed: \(result.output)") }
    }

    /// Runs one of the server's programs, as the server's user.
    @discardableResult
    func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let path = binDirectory + "/" + program
        if let runAs { return try Self.run("/sbin/runuser", ["-u", runAs, "--", path] + arguments) }
        return try Self.run(path, arguments)
    }

    /// The newest `/usr/lib/postgresql/<version>/bin` that has both initdb and pg_ctl.
    static func findBinDirectory() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        return versions.map { "\(root)/\($0)/bin" }.first { bin in
            ["initdb", "pg_ctl"].allSatisfy { FileManager.default.isExecutableFile(atPath: "\(bin)/\($0)") }
        }
    }

    /// A loopback port nothing listens on now (the kernel's choice for a socket bound to port 0).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PostgresSetupError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw PostgresSetupError("bind to a free loopback port failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs a program and waits for it, with posix_spawn and waitpid rather than Foundation's Process: Process
    /// learns that its child ended from a socket the child inherits, and the postmaster that pg_ctl starts inherits
    /// it too, so waiting for `pg_ctl start` would last as long as the server. Output goes to a file for the same
    /// reason (a pipe would stay open as long as the server).
    static func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("seeder-pg-out-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Through sh to start in /tmp: the server's user can't read the test's working directory under /root.
        let argv: [UnsafeMutablePointer<CChar>?] = (["/bin/sh", "-c", "cd /tmp && exec \"$0\" \"$@\"", path] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ)
        guard rc == 0 else { throw PostgresSetupError("cannot start \(path): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw PostgresSetupError("waitpid for \(path) failed: \(String(cString: strerror(errno)))") }
        }
        let output = FileManager.default.contents(atPath: outputPath) ?? Data()
        // WIFEXITED / WEXITSTATUS, which Swift doesn't import.
        let exitStatus: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (exitStatus, String(decoding: output, as: UTF8.self))
    }
}

/// The throwaway server could not be set up: a test failure, never a skip (CI must have the server).
struct PostgresSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
