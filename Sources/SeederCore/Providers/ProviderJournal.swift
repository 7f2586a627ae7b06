import Foundation

/// An append-only file of the text hashes a provider was asked to embed, one hex hash a line.
///
/// Written with `write(2)` straight away (no user-space buffer) so that a `kill -9` loses nothing that was
/// asked: the kernel keeps what was written even if the process dies the next instant.
public final class ProviderJournal: @unchecked Sendable {
    private let fd: Int32
    public let path: String
    private let lock = NSLock()

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        if fd < 0 {
            throw ConfigurationError(file: path, message: "cannot open the provider journal: \(String(cString: strerror(errno)))",
                                     hint: "check the directory exists and is writable")
        }
    }

    deinit { close(fd) }

    func record(_ hashes: [TextHash]) throws {
        var text = ""
        text.reserveCapacity(hashes.count * 65)
        for hash in hashes { text += hash.hex; text += "\n" }
        lock.lock()
        defer { lock.unlock() }
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, base + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ConfigurationError(file: path, message: "writing the provider journal failed: \(String(cString: strerror(errno)))", hint: nil)
                }
                offset += n
            }
        }
    }
}
