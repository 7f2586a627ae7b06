#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory (`mmap`), unmapped in `deinit`.
///
/// For inputs read by random access or by a reader over bytes (a DevDocs `db.json` of hundreds of MB): pages are
/// brought in by the kernel as they are touched and can be dropped again under pressure, so the resident memory a
/// sequential walk needs stays small whatever the file's size.
final class MappedFile {
    let path: String
    /// The mapped bytes; empty for an empty file (nothing is mapped then).
    let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?

    /// Maps the regular file at `path`; throws ``SourceError`` (`.missing`, `.io`) when it cannot.
    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw SourceError(code == ENOENT ? .missing : .io, file: path,
                              message: "cannot open the file: \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SourceError(.io, file: path, message: "cannot stat the file: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SourceError(.wrongFormat, file: path, message: "not a regular file")
        }
        let size = Int(info.st_size)
        if size == 0 {
            mapping = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw SourceError(.io, file: path, message: "cannot map the file: \(String(cString: strerror(errno)))")
        }
        // The walk is sequential: let the kernel read ahead and drop pages behind.
        _ = madvise(base, size, MADV_SEQUENTIAL)
        mapping = base
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        if let mapping { munmap(mapping, bytes.count) }
    }
}
