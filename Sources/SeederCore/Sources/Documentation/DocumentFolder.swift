#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The Markdown and HTML files of a folder, recursively, in a stable order.
///
/// Hidden files and folders (names starting with `.`) are skipped. Symbolic links to files are followed; links to
/// folders are not (no loops, no escaping the tree). Files are sorted by their path relative to the root, compared
/// byte by byte, so every run sees the same sequence of items.
struct DocumentFolder {
    /// One entry of the listing: a document, or a folder that could not be read.
    struct Entry: Equatable {
        /// The path relative to the root (`guide/intro.md`); the file's name when the root is a file.
        var relativePath: String
        var path: String
        /// Size in bytes (0 for an unreadable folder).
        var size: Int64
        /// Why the folder could not be listed; nil for a file.
        var problem: String?
    }

    static let extensions: Set<String> = ["md", "markdown", "mdown", "mkd", "html", "htm", "xhtml"]

    /// Whether `name` is a document this source reads.
    static func isDocument(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return extensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// Lists `root` (a folder, or a single document). Throws ``SourceError`` when the root does not exist or is
    /// not readable.
    static func list(_ root: String) throws -> [Entry] {
        var info = stat()
        guard stat(root, &info) == 0 else {
            let code = errno
            throw SourceError(code == ENOENT ? .missing : .io, file: root, message: "cannot read: \(String(cString: strerror(code)))",
                              hint: "give a folder of Markdown or HTML files")
        }
        if info.st_mode & S_IFMT == S_IFREG {
            let name = root.split(separator: "/").last.map(String.init) ?? root
            return [Entry(relativePath: name, path: root, size: Int64(info.st_size))]
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw SourceError(.wrongFormat, file: root, message: "neither a folder nor a file")
        }
        var entries: [Entry] = []
        var pending: [String] = [""] // relative folders still to list
        while let relative = pending.popLast() {
            let folder = relative.isEmpty ? root : root + "/" + relative
            guard let directory = opendir(folder) else {
                let message = String(cString: strerror(errno))
                if relative.isEmpty {
                    throw SourceError(.io, file: root, message: "cannot list the folder: \(message)")
                }
                entries.append(Entry(relativePath: relative, path: folder, size: 0, problem: "cannot list the folder: \(message)"))
                continue
            }
            defer { closedir(directory) }
            while let item = readdir(directory) {
                let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name.hasPrefix(".") { continue }
                let childRelative = relative.isEmpty ? name : relative + "/" + name
                let childPath = root + "/" + childRelative
                var link = stat()
                guard lstat(childPath, &link) == 0 else { continue }
                switch link.st_mode & S_IFMT {
                case S_IFDIR:
                    pending.append(childRelative)
                case S_IFREG where isDocument(name):
                    entries.append(Entry(relativePath: childRelative, path: childPath, size: Int64(link.st_size)))
                case S_IFLNK where isDocument(name):
                    var target = stat()
                    if stat(childPath, &target) == 0, target.st_mode & S_IFMT == S_IFREG {
                        entries.append(Entry(relativePath: childRelative, path: childPath, size: Int64(target.st_size)))
                    }
                default:
                    break
                }
            }
        }
        return entries.sorted { $0.relativePath.utf8.lexicographicallyPrecedes($1.relativePath.utf8) }
    }
}
