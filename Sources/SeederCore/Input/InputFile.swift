/// Opens an input file as a stream of its uncompressed bytes, choosing the decompressor by the file's
/// first bytes (its magic number), never by its extension: a `.gz` that was already unpacked, or a plain
/// file named `.xml.gz`, reads correctly either way.
public enum InputFile {
    /// A compression format recognized by its magic number.
    public enum Compression: String, Sendable {
        case none
        case gzip
        case bzip2
        case xz
        case zstd

        /// Recognizes the format from a file's first bytes (at least 6 for every format to be recognized).
        public static func detect(_ prefix: [UInt8]) -> Compression {
            if prefix.starts(with: [0x1F, 0x8B]) { return .gzip }
            // "BZh" followed by the block size digit 1…9.
            if prefix.count >= 4, prefix.starts(with: [0x42, 0x5A, 0x68]), (0x31...0x39).contains(prefix[3]) { return .bzip2 }
            if prefix.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
            if prefix.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
            return .none
        }
    }

    /// An opened input: the byte stream and what is known about the file.
    public struct Opened {
        /// The uncompressed bytes.
        public var reader: ByteReader
        /// The compression found.
        public var compression: Compression
        /// The file's size on disk, when it is a regular file.
        public var size: Int64?
    }

    /// Opens `path`. Throws ``SourceError``: `.missing` (no such file, a directory, no permission),
    /// `.empty` (zero bytes), `.wrongFormat` (a compression this reader does not handle yet).
    /// With `readAhead`, a compressed file is decompressed on a thread of its own (``ReadAheadByteReader``).
    public static func open(_ path: String, bufferSize: Int = 256 * 1024, readAhead: Bool = true) throws -> Opened {
        let file = try FileByteReader(path: path)
        let prefix = try file.peek(6)
        if prefix.isEmpty {
            throw SourceError(.empty, file: path, message: "the file is empty",
                              hint: "the download may have failed; fetch the file again")
        }
        let compression = Compression.detect(prefix)
        switch compression {
        case .none:
            return Opened(reader: file, compression: .none, size: file.size)
        case .gzip:
            let gzip = try GzipByteReader(source: file, path: path, inputBufferSize: bufferSize)
            // Inflating costs about as much as parsing: do it on a thread of its own.
            let reader: ByteReader = readAhead ? ReadAheadByteReader(source: gzip, bufferSize: bufferSize) : gzip
            return Opened(reader: reader, compression: .gzip, size: file.size)
        case .bzip2:
            let bzip2 = try Bzip2ByteReader(source: file, path: path, inputBufferSize: bufferSize)
            // Decompressing bzip2 costs several times what parsing does: always on a thread of its own.
            let reader: ByteReader = readAhead ? ReadAheadByteReader(source: bzip2, bufferSize: bufferSize) : bzip2
            return Opened(reader: reader, compression: .bzip2, size: file.size)
        case .xz, .zstd:
            throw SourceError(.wrongFormat, file: path, position: "byte 0",
                              message: "\(compression.rawValue) input is not supported",
                              hint: "unpack it first, or recompress it with gzip or bzip2")
        }
    }
}
