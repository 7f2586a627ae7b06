#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes run metrics for node_exporter's textfile collector, replacing the file atomically.
public struct MetricsTextfile: Sendable {
    /// The `.prom` file the collector reads.
    public let path: String

    /// Writes to `path`; its directory must exist and be writable.
    public init(path: String) {
        self.path = path
    }

    /// Renders `m` and replaces the file with it, so a reader sees either the old or the new content, whole.
    ///
    /// The text goes to a hidden temporary file in the same directory (the collector reads only
    /// `*.prom`, and rename(2) is atomic only within one file system), is fsynced, then renamed
    /// over the target.
    public func write(_ m: RunMetrics) throws {
        try write(text: PrometheusExposition.render(m))
    }

    func write(text: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temp = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"

        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("creating a temporary file for", errno) }
        var renamed = false
        defer {
            // A failed write must not leave a stray temp file in the collector's directory.
            if !renamed { unlink(temp) }
        }
        do {
            defer { close(fd) }
            let bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { buf -> Int in
                    guard let base = buf.baseAddress else { return 0 }
                    return systemWrite(fd, base + offset, buf.count - offset)
                }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure("writing", errno)
                }
                // write(2) returning 0 for a non-empty buffer would otherwise loop forever.
                guard n > 0 else { throw failure("writing", EIO) }
                offset += n
            }
            // Without fsync a crash after rename could leave an empty or partial file under the target name.
            guard fsync(fd) == 0 else { throw failure("syncing", errno) }
        }
        guard rename(temp, path) == 0 else { throw failure("renaming the temporary file over", errno) }
        renamed = true
    }

    private func failure(_ operation: String, _ code: Int32) -> MetricsExportError {
        MetricsExportError(
            operation: "\(operation) the metrics textfile",
            target: path,
            reason: String(cString: strerror(code)),
            hint: "Check that the directory exists and is writable by this user."
        )
    }
}

// `write` is shadowed by the method of the same name, so the system call gets a distinct name.
@inline(__always)
private func systemWrite(_ fd: Int32, _ buf: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Darwin)
    return Darwin.write(fd, buf, count)
    #elseif canImport(Musl)
    return Musl.write(fd, buf, count)
    #else
    return Glibc.write(fd, buf, count)
    #endif
}
