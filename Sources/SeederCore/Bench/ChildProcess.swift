import Foundation

/// Runs a command as a child process and reports its exit status, wall time and peak resident memory
/// (from `wait4`'s rusage, which `Process` doesn't expose): what benchmarks compare side by side.
public struct ChildProcess {
    public struct Result: Sendable {
        public var status: Int32
        public var wallSeconds: Double
        public var maxRSSBytes: Int64
        public var userSeconds: Double
        public var systemSeconds: Double
    }

    /// Runs `arguments[0]` (a path) with `arguments`, standard output to `stdoutPath` (or /dev/null).
    public static func run(_ arguments: [String], stdoutPath: String = "/dev/null", environment: [String: String]? = nil) throws -> Result {
        var fileActions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let start = ContinuousClock.now
        let rc = posix_spawn(&pid, arguments[0], &fileActions, nil, &argv, &envp)
        guard rc == 0 else {
            throw SourceError(.io, file: arguments[0], message: "cannot start: \(String(cString: strerror(rc)))", hint: "check the program exists")
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let wall = ContinuousClock.now - start
        let (s, atto) = wall.components
        let exit: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: exit, wallSeconds: Double(s) + Double(atto) / 1e18,
                      maxRSSBytes: Int64(usage.ru_maxrss) * 1024,
                      userSeconds: Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
                      systemSeconds: Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6)
    }
}
