import CBZip2

/// Decompresses a bzip2 file read from another ``ByteReader``, every stream of it.
///
/// - Multi-stream files (Wikimedia's `*-multistream.xml.bz2`, `pbzip2` and `lbzip2` output, `cat a.bz2 b.bz2`) are
///   read to the end: at the end of a stream with input left, a fresh decompressor takes the next one.
/// - Bytes after the last stream must start another stream, or reading fails with the offset (`bzip2 -d` warns
///   about "trailing garbage"; a dump with any is damaged).
/// - A file that ends inside a stream fails with ``SourceError/Kind/corruptCompression``, but only after every byte
///   that could be decompressed was handed out, so the caller can use every complete item before the cut.
public final class Bzip2ByteReader: ByteReader {
    /// The compressed file's path, for error messages.
    public let path: String
    private let source: ByteReader
    private let stream: BunzipStream
    private let input: UnsafeMutableRawBufferPointer
    private var inputEnded = false
    /// True between a stream's first byte and its end: input ending here means truncation.
    private var insideStream = false
    private var finished = false
    private var pendingError: SourceError?
    /// The compressed offset where the current stream began.
    private var streamStart: Int64 = 0
    /// Streams decompressed to their end so far.
    public private(set) var streamsRead = 0
    public private(set) var bytesProduced: Int64 = 0
    public var compressedBytesRead: Int64 { source.compressedBytesRead }

    /// Wraps `source`, whose bytes are a bzip2 file (from its first byte); `path` names it in errors.
    public init(source: ByteReader, path: String, inputBufferSize: Int = 256 * 1024) throws {
        self.path = path
        self.source = source
        self.stream = try BunzipStream(path: path)
        self.input = UnsafeMutableRawBufferPointer.allocate(byteCount: max(inputBufferSize, 64), alignment: 16)
    }

    deinit {
        input.deallocate()
    }

    /// The offset in the compressed file of the next byte libbz2 will look at.
    private var compressedPosition: Int64 {
        source.compressedBytesRead - Int64(stream.bz.pointee.avail_in)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let pendingError { throw pendingError }
        guard !finished, let outBase = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let bz = stream.bz
        let outCount = UInt32(clamping: buffer.count)
        bz.pointee.next_out = outBase.assumingMemoryBound(to: CChar.self)
        bz.pointee.avail_out = outCount
        var produced: Int { Int(outCount - bz.pointee.avail_out) }

        do {
            while bz.pointee.avail_out > 0 {
                if bz.pointee.avail_in == 0 && !inputEnded {
                    let n = try source.read(into: input)
                    if n == 0 {
                        inputEnded = true
                    } else {
                        bz.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: CChar.self)
                        bz.pointee.avail_in = UInt32(n)
                    }
                }
                if bz.pointee.avail_in == 0 && inputEnded {
                    if insideStream {
                        throw SourceError(
                            .corruptCompression, file: path, position: "byte \(source.compressedBytesRead) of the compressed file",
                            message: "bzip2 stream \(streamsRead + 1) (from byte \(streamStart)) ends early (truncated download?)",
                            hint: "re-download the file and compare its size and checksum with the ones the dump site publishes")
                    }
                    if streamsRead == 0 {
                        throw SourceError(.corruptCompression, file: path, position: "byte 0 of the compressed file",
                                          message: "bzip2 file holds no complete stream", hint: "re-download the file")
                    }
                    finished = true
                    break
                }
                if !insideStream {
                    insideStream = true
                    streamStart = compressedPosition
                }
                let status = BZ2_bzDecompress(bz)
                switch status {
                case BZ_OK:
                    continue
                case BZ_STREAM_END:
                    streamsRead += 1
                    insideStream = false
                    // Another stream may follow (multistream); a fresh decompressor reads it.
                    try stream.restart(path: path)
                default:
                    let what = status == BZ_DATA_ERROR_MAGIC && streamsRead > 0
                        ? "data after bzip2 stream \(streamsRead) is not another stream (trailing garbage)"
                        : "corrupt bzip2 data in stream \(streamsRead + 1) (from byte \(streamStart)): \(BunzipStream.describe(status))"
                    throw SourceError(.corruptCompression, file: path, position: "byte \(compressedPosition) of the compressed file",
                                      message: what,
                                      hint: "re-download the file; if it happens again, the copy on the server is damaged")
                }
            }
        } catch let error as SourceError {
            // Hand out what this call decompressed first; the error comes with the next call.
            guard produced > 0 else { throw error }
            pendingError = error
        }
        let n = produced
        bytesProduced += Int64(n)
        return n
    }
}
