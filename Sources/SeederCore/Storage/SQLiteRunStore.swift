import Crypto
import Foundation

/// The runs of a SQLite job, kept in its control shard (the first), and the run lock: an exclusive `flock` on a
/// file beside that shard, one per job, model and tenant. The kernel drops the lock when the process ends, however
/// it ends (kill -9 included), so a lock never outlives its run.
public final class SQLiteRunStore: RunStore, @unchecked Sendable {
    private let control: ShardWorker
    private let lock = NSLock()
    // Guarded by `lock`: the open lock file, while the run lock is held.
    private var lockFile: Int32 = -1

    public init(control: ShardWorker) {
        self.control = control
    }

    deinit {
        if lockFile >= 0 { close(lockFile) }
    }

    public func resumableRun(job: String, model: StoredModel, tenant: String, partition: String) async throws -> RunRecord? {
        try await control.run { try $0.resumableRun(job: job, model: model, tenant: tenant, partition: partition) }
    }

    public func runs(job: String?) async throws -> [RunRecord] {
        try await control.read { try $0.runs(job: job) }
    }

    public func insertRun(_ run: RunRecord) async throws {
        try await control.run { try $0.insertRun(run) }
    }

    public func saveProgress(of run: RunRecord, failures: [RecordFailure]) async throws {
        try await control.run { try $0.saveProgress(of: run, failures: failures) }
    }

    public func failures(runID: String) async throws -> [RecordFailure] {
        try await control.read { try $0.failures(runID: runID) }
    }

    /// The lock file of one job, model, tenant and partition: beside the control shard, named by a hash of them (job
    /// names and model ids may hold characters a file name can't).
    public static func lockPath(control: ShardLocation, job: String, model: StoredModel, tenant: String, partition: String = "") -> String {
        // The whole job's name leaves out the partition: the same file as before partitions existed.
        let parts = ["seeder-run", job, model.model, model.version, tenant] + (partition.isEmpty ? [] : [partition])
        let digest = SHA256.hash(data: Data(parts.joined(separator: "\u{0}").utf8))
        let hex = digest.prefix(8).map { String(format: "%02x", $0) }.joined()
        return control.path + ".run-\(hex).lock"
    }

    public func lockRun(job: String, model: StoredModel, tenant: String, partition: String) async throws {
        let path = Self.lockPath(control: control.location, job: job, model: model, tenant: tenant, partition: partition)
        try lock.withLock {
            guard lockFile < 0 else { return }
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw StoreError(shard: control.location, message: "cannot open the run lock \(path): \(String(cString: strerror(errno)))",
                                 hint: "the shard's folder must be writable")
            }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let holder = Self.readHolder(fd)
                close(fd)
                throw RunLockHeld(job: job, model: model.model, holder: holder.isEmpty ? "lock file \(path)" : "\(holder); lock file \(path)",
                                  partition: partition)
            }
            // Who holds it, for the run that finds it taken.
            let started = ISO8601DateFormatter().string(from: Date())
            let text = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName) since \(started)\n"
            _ = ftruncate(fd, 0)
            _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
            lockFile = fd
        }
    }

    public func unlockRun() async throws {
        lock.withLock {
            guard lockFile >= 0 else { return }
            // Emptied first: a holder line in an unlocked file would name a run that is gone.
            _ = ftruncate(lockFile, 0)
            close(lockFile)
            lockFile = -1
        }
    }

    /// Who holds the run lock at `path` right now, without waiting: nil when it is free (or its file doesn't exist).
    public static func lockHolder(path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // A shared lock conflicts only with the exclusive one a run holds, and is dropped with the descriptor.
        guard flock(fd, LOCK_SH | LOCK_NB) != 0 else { return nil }
        let holder = readHolder(fd)
        return holder.isEmpty ? "lock file \(path)" : "\(holder); lock file \(path)"
    }

    private static func readHolder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return "" }
        return String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
