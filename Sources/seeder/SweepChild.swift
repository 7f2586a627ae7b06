import Foundation
import SeederCore

/// A `seeder sweep` child process (posix_spawn), which can be polled and killed: ``ChildProcess`` only runs to the end.
struct SweepChild {
    let pid: pid_t
    let started: ContinuousClock.Instant

    struct Exit {
        var status: Int32
        var wallSeconds: Double
    }

    static func start(_ arguments: [String], stdoutPath: String) throws -> SweepChild {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let env = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let started = ContinuousClock.now
        let rc = posix_spawn(&pid, arguments[0], &fileActions, nil, &argv, &envp)
        guard rc == 0 else { throw SweepBenchmark.Failure("cannot start \(arguments[0]): \(String(cString: strerror(rc)))") }
        return SweepChild(pid: pid, started: started)
    }

    /// Starts the command and waits for it; the caller's thread blocks.
    static func runToEnd(_ arguments: [String], stdoutPath: String) throws -> Exit {
        let child = try start(arguments, stdoutPath: stdoutPath)
        return Exit(status: child.wait(), wallSeconds: (ContinuousClock.now - child.started).seconds)
    }

    /// The exit status (128 + signal when killed) once the child has ended, nil while it runs.
    func exitStatus() -> Int32? {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        return Self.decode(status)
    }

    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return Self.decode(status)
    }

    static func decode(_ status: Int32) -> Int32 { (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
}
