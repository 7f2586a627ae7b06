import CZlib

/// Inflates a gzip file read from another ``ByteReader``.
///
/// - Multi-member files (`cat a.gz b.gz`, what parallel compressors write) are read to the end: at the end of
///   a member with input left, the stream is reset and the next member follows.
/// - Zero bytes after the last member are tolerated (tape and transfer tools pad files with them; `gzip -d`
///   skips them too, with a warning). Any other trailing bytes must start a valid member, or reading fails with
///   zlib's message ("incorrect header check") and the offset.
/// - A file that ends inside a member fails with ``SourceError/Kind/corruptCompression`` ("gzip stream ends
///   early"), but only after every byte that could be inflated was handed out, so the caller can use all the
///   complete items before the cut.
public final class GzipByteReader: ByteReader {
    /// The compressed file's path, for error messages.
    public let path: String
    private let source: ByteReader
    private let stream: InflateStream
    private let input: UnsafeMutableRawBufferPointer
    private var inputEnded = false
    /// True between a member's first byte and its end: input ending here means truncation.
    private var insideMember = false
    /// True once the last member ended and only zero padding may follow.
    private var inPadding = false
    private var finished = false
    private var pendingError: SourceError?
    /// Members inflated so far.
    public private(set) var membersRead = 0
    public private(set) var bytesProduced: Int64 = 0
    public var compressedBytesRead: Int64 { source.compressedBytesRead }

    /// Wraps `source`, whose bytes are a gzip file; `path` names it in errors. `inputBufferSize` bytes are read per call.
    public init(source: ByteReader, path: String, inputBufferSize: Int = 256 * 1024) throws {
        self.path = path
        self.source = source
        self.stream = try InflateStream(path: path)
        self.input = UnsafeMutableRawBufferPointer.allocate(byteCount: max(inputBufferSize, 64), alignment: 16)
    }

    deinit {
        input.deallocate()
    }

    /// The offset in the compressed file of the next byte zlib will look at.
    private var compressedPosition: Int64 {
        source.compressedBytesRead - Int64(stream.z.pointee.avail_in)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let pendingError { throw pendingError }
        guard !finished, let outBase = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let z = stream.z
        let outCount = UInt32(clamping: buffer.count)
        z.pointee.next_out = outBase.assumingMemoryBound(to: Bytef.self)
        z.pointee.avail_out = outCount
        var produced: Int { Int(outCount - z.pointee.avail_out) }

        do {
            while z.pointee.avail_out > 0 {
                if z.pointee.avail_in == 0 && !inputEnded {
                    let n = try source.read(into: input)
                    if n == 0 {
                        inputEnded = true
                    } else {
                        z.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                        z.pointee.avail_in = UInt32(n)
                    }
                }
                if z.pointee.avail_in == 0 && inputEnded {
                    if insideMember {
                        throw SourceError(
                            .corruptCompression, file: path, position: "byte \(source.compressedBytesRead) of the compressed file",
                            message: "gzip stream ends early (truncated download?)",
                            hint: "re-download the file and compare its size and checksum with the ones the dump site publishes")
                    }
                    if membersRead == 0 {
                        throw SourceError(.corruptCompression, file: path, position: "byte 0 of the compressed file",
                                          message: "gzip file holds no complete member",
                                          hint: "re-download the file")
                    }
                    finished = true
                    break
                }
                if !insideMember && membersRead > 0 && z.pointee.next_in.pointee == 0 {
                    inPadding = true
                }
                if inPadding {
                    try skipZeroPadding()
                    continue
                }
                let before = z.pointee.avail_in
                let status = CZlib.inflate(z, Z_NO_FLUSH)
                if z.pointee.avail_in != before { insideMember = true }
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    membersRead += 1
                    insideMember = false
                    // Another member may follow (multi-member gzip), or zero padding, or nothing.
                    guard inflateReset(z) == Z_OK else {
                        throw SourceError(.corruptCompression, file: path, position: "byte \(compressedPosition) of the compressed file",
                                          message: "zlib could not reset after member \(membersRead)")
                    }
                case Z_BUF_ERROR:
                    // No progress possible with this input: more input is needed (handled at the top of the loop).
                    if z.pointee.avail_in > 0 {
                        throw corrupt("zlib made no progress")
                    }
                case Z_MEM_ERROR:
                    throw SourceError(.io, file: path, position: "byte \(compressedPosition) of the compressed file",
                                      message: "zlib is out of memory")
                default: // Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR
                    throw corrupt(stream.message ?? "zlib error \(status)")
                }
            }
        } catch let error as SourceError {
            // Hand out what this call inflated first; the error comes with the next call.
            guard produced > 0 else { throw error }
            pendingError = error
        }
        let n = produced
        bytesProduced += Int64(n)
        return n
    }

    /// Consumes the zero bytes after the last member; anything else there is an error.
    private func skipZeroPadding() throws {
        let z = stream.z
        let bytes = UnsafeBufferPointer(start: z.pointee.next_in, count: Int(z.pointee.avail_in))
        if let offset = bytes.firstIndex(where: { $0 != 0 }) {
            z.pointee.next_in += offset
            z.pointee.avail_in -= UInt32(offset)
            throw SourceError(.corruptCompression, file: path, position: "byte \(compressedPosition) of the compressed file",
                              message: "unexpected data after the zero padding that follows gzip member \(membersRead)",
                              hint: "the file is damaged; re-download it")
        }
        z.pointee.next_in += bytes.count
        z.pointee.avail_in = 0
    }

    private func corrupt(_ detail: String) -> SourceError {
        SourceError(.corruptCompression, file: path, position: "byte \(compressedPosition) of the compressed file",
                    message: "corrupt gzip data in member \(membersRead + 1): \(detail)",
                    hint: "re-download the file; if it happens again, the copy on the server is damaged")
    }
}

/// Owns one `z_stream` set up for gzip inflation; `inflateEnd` runs in `deinit`.
final class InflateStream {
    let z: UnsafeMutablePointer<z_stream>

    init(path: String) throws {
        let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        z.initialize(to: z_stream())
        // 15 window bits + 16: gzip wrapper only (not raw deflate, not zlib).
        let status = inflateInit2_(z, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            z.deinitialize(count: 1)
            z.deallocate()
            throw SourceError(.io, file: path, message: "zlib could not start inflating (error \(status))")
        }
        self.z = z
    }

    deinit {
        inflateEnd(z)
        z.deinitialize(count: 1)
        z.deallocate()
    }

    /// zlib's message for the last error, if any.
    var message: String? {
        guard let msg = z.pointee.msg else { return nil }
        return String(cString: msg)
    }
}
