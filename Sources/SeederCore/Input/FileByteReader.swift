#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file through its own file descriptor, which it opens in `init` and closes in `deinit`.
///
/// Callers pass large buffers (256 KiB): one `read(2)` per call, no extra copy.
public final class FileByteReader: ByteReader {
    /// The path as given, for error messages.
    public let path: String
    /// The file's size in bytes when it is a regular file.
    public let size: Int64?
    private let fd: Int32
    public private(set) var compressedBytesRead: Int64 = 0
    public var bytesProduced: Int64 { compressedBytesRead }

    /// Opens `path` for reading. Throws ``SourceError`` (`.missing`) when it does not exist, is a directory
    /// or cannot be opened, naming the reason.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            switch code {
            case ENOENT, ENOTDIR:
                throw SourceError(.missing, file: path, message: "no such file",
                                  hint: "check the path in the job file (relative paths are resolved from the current directory)")
            case EACCES, EPERM:
                throw SourceError(.missing, file: path, message: "permission denied",
                                  hint: "make the file readable by the user running seeder")
            default:
                throw SourceError(.missing, file: path, message: "cannot open: \(FileByteReader.describe(code))")
            }
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw SourceError(.io, file: path, message: "cannot stat: \(FileByteReader.describe(code))")
        }
        let type = info.st_mode & S_IFMT
        if type == S_IFDIR {
            close(fd)
            throw SourceError(.missing, file: path, message: "is a directory, not a file",
                              hint: "give the path of the dump file itself")
        }
        self.fd = fd
        self.size = type == S_IFREG ? Int64(info.st_size) : nil
        #if os(Linux)
        // Tell the kernel we read front to back so that it reads ahead generously.
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
    }

    deinit {
        close(fd)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            #if canImport(Glibc)
            let n = Glibc.read(fd, base, buffer.count)
            #elseif canImport(Musl)
            let n = Musl.read(fd, base, buffer.count)
            #else
            let n = Darwin.read(fd, base, buffer.count)
            #endif
            if n >= 0 {
                compressedBytesRead += Int64(n)
                return n
            }
            let code = errno
            if code == EINTR { continue }
            throw SourceError(.io, file: path, position: "byte \(compressedBytesRead)",
                              message: "read failed: \(FileByteReader.describe(code))")
        }
    }

    /// The first bytes of the file (up to `count`), read without moving the read position.
    public func peek(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        while true {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, 0) }
            if n >= 0 { return Array(bytes.prefix(n)) }
            let code = errno
            if code == EINTR { continue }
            if code == EISDIR {
                throw SourceError(.missing, file: path, message: "is a directory, not a file",
                                  hint: "give the path of the dump file itself")
            }
            throw SourceError(.io, file: path, position: "byte 0", message: "read failed: \(FileByteReader.describe(code))")
        }
    }

    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
