#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file descriptor opened once and read with `pread` by several threads at once (each at its own offsets).
/// Closed in `deinit`.
final class SharedFile: @unchecked Sendable {
    let path: String
    let size: Int64
    fileprivate let fd: Int32

    /// Opens `path` for reading; throws ``SourceError`` (`.missing`) as ``FileByteReader`` does.
    init(path: String) throws {
        // FileByteReader's checks and messages, then its descriptor is not needed: open our own.
        let probe = try FileByteReader(path: path)
        self.size = probe.size ?? 0
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SourceError(.missing, file: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        self.fd = fd
    }

    deinit { close(fd) }
}

/// Reads one byte range of a ``SharedFile`` with `pread`, so that threads can each read their own range.
///
/// `compressedBytesRead` is the absolute offset reached in the file: decompressors over this reader name file
/// offsets in their errors.
final class FileRangeByteReader: ByteReader {
    private let file: SharedFile
    private var offset: Int64
    private let end: Int64
    var compressedBytesRead: Int64 { offset }
    private(set) var bytesProduced: Int64 = 0

    /// Reads `range` of `file` (clamped to the file's size).
    init(file: SharedFile, range: Range<Int64>) {
        self.file = file
        self.offset = range.lowerBound
        self.end = min(range.upperBound, file.size)
    }

    /// Goes back to `offset` (within the range) after a look at the first bytes.
    func rewind(to offset: Int64) {
        bytesProduced -= self.offset - offset
        self.offset = offset
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset < end, let base = buffer.baseAddress else { return 0 }
        let want = Int(min(Int64(buffer.count), end - offset))
        while true {
            let n = pread(file.fd, base, want, off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw SourceError(.io, file: file.path, position: "byte \(offset)",
                                  message: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                throw SourceError(.corruptCompression, file: file.path, position: "byte \(offset)",
                                  message: "the file ends before byte \(end) (it shrank while being read?)",
                                  hint: "make sure nothing writes the dump while seeder reads it")
            }
            offset += Int64(n)
            bytesProduced += Int64(n)
            return n
        }
    }
}
