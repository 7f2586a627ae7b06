import CBZip2

/// Owns one libbz2 `bz_stream` set up for decompression; `BZ2_bzDecompressEnd` runs in `deinit` and in `restart()`.
///
/// A bzip2 file may be several streams one after another (`cat a.bz2 b.bz2`, Wikimedia's multistream dumps):
/// libbz2 stops at the end of each one (`BZ_STREAM_END`), and the reader starts a fresh decompressor for the next.
final class BunzipStream {
    let bz: UnsafeMutablePointer<bz_stream>
    private var active = false

    init(path: String) throws {
        bz = .allocate(capacity: 1)
        bz.initialize(to: bz_stream())
        try start(path: path)
    }

    deinit {
        if active { BZ2_bzDecompressEnd(bz) }
        bz.deinitialize(count: 1)
        bz.deallocate()
    }

    /// Ends the current stream's decompressor and starts a new one for the next stream, keeping the input and
    /// output pointers where they are.
    func restart(path: String) throws {
        let nextIn = bz.pointee.next_in, availIn = bz.pointee.avail_in
        let nextOut = bz.pointee.next_out, availOut = bz.pointee.avail_out
        if active { BZ2_bzDecompressEnd(bz) }
        active = false
        bz.pointee = bz_stream()
        try start(path: path)
        bz.pointee.next_in = nextIn
        bz.pointee.avail_in = availIn
        bz.pointee.next_out = nextOut
        bz.pointee.avail_out = availOut
    }

    private func start(path: String) throws {
        // verbosity 0; small = 0: the fast algorithm (about 3.7 MB of state at block size 9).
        let status = BZ2_bzDecompressInit(bz, 0, 0)
        guard status == BZ_OK else {
            throw SourceError(.io, file: path, message: "libbz2 could not start decompressing (error \(status), out of memory?)")
        }
        active = true
    }

    /// libbz2's name for a status, for messages.
    static func describe(_ status: Int32) -> String {
        switch status {
        case BZ_DATA_ERROR: return "data integrity error (a CRC does not match: the data is damaged)"
        case BZ_DATA_ERROR_MAGIC: return "not bzip2 data (bad stream header)"
        case BZ_MEM_ERROR: return "out of memory"
        case BZ_PARAM_ERROR: return "bad parameters"
        default: return "libbz2 error \(status)"
        }
    }
}

extension BunzipStream {
    /// Decompresses `compressed` whole: one bzip2 stream or several back to back (a multistream dump's byte range).
    ///
    /// - Parameters:
    ///   - fileOffset: where `compressed` starts in `path`, so that errors give the file's own byte offsets.
    ///   - limit: the most output kept; past it the output is cut and `truncated` is true (a range holding a page of
    ///     gigabytes is skipped, not held).
    /// - Throws: ``SourceError`` `.corruptCompression` with the offset of the damage, for a range that is cut short,
    ///   damaged, or followed by bytes that are not bzip2.
    static func decompress(_ compressed: UnsafeRawBufferPointer, path: String, fileOffset: Int64,
                           limit: Int) throws -> (bytes: [UInt8], truncated: Bool) {
        guard let inBase = compressed.baseAddress, compressed.count > 0 else { return ([], false) }
        let stream = try BunzipStream(path: path)
        let bz = stream.bz
        bz.pointee.next_in = UnsafeMutablePointer(mutating: inBase.assumingMemoryBound(to: CChar.self))
        bz.pointee.avail_in = UInt32(clamping: compressed.count)
        // Wikitext compresses about 4:1; start there and grow.
        var output = [UInt8](repeating: 0, count: min(limit, max(64 * 1024, compressed.count * 5)))
        var produced = 0
        var streams = 0
        var streamStart = fileOffset
        var truncated = false
        func position() -> Int64 { fileOffset + Int64(compressed.count) - Int64(bz.pointee.avail_in) }
        while true {
            if produced == output.count {
                if output.count >= limit {
                    truncated = true
                    break
                }
                output.append(contentsOf: repeatElement(0, count: min(limit, output.count * 2) - output.count))
            }
            let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
                bz.pointee.next_out = UnsafeMutableRawPointer(out.baseAddress! + produced).assumingMemoryBound(to: CChar.self)
                let room = UInt32(clamping: out.count - produced)
                bz.pointee.avail_out = room
                let status = BZ2_bzDecompress(bz)
                produced += Int(room - bz.pointee.avail_out)
                return status
            }
            switch status {
            case BZ_OK:
                if bz.pointee.avail_in == 0 && bz.pointee.avail_out > 0 {
                    throw SourceError(.corruptCompression, file: path, position: "byte \(position()) of the compressed file",
                                      message: "bzip2 stream from byte \(streamStart) ends early (the range ends inside it)",
                                      hint: "the file is truncated or damaged, or its index does not belong to it; re-download both")
                }
            case BZ_STREAM_END:
                streams += 1
                if bz.pointee.avail_in == 0 {
                    output.removeSubrange(produced...)
                    return (output, false)
                }
                try stream.restart(path: path)
                streamStart = position()
            default:
                let what = status == BZ_DATA_ERROR_MAGIC && streams > 0
                    ? "bytes after the bzip2 stream ending at byte \(streamStart) are not another stream"
                    : "corrupt bzip2 data in the stream from byte \(streamStart): \(describe(status))"
                throw SourceError(.corruptCompression, file: path, position: "byte \(position()) of the compressed file",
                                  message: what, hint: "re-download the file; if it happens again, the copy on the server is damaged")
            }
        }
        output.removeSubrange(produced...)
        return (output, truncated)
    }
}
