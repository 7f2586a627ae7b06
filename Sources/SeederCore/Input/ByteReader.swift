/// A blocking stream of bytes: a file, a decompressor over a file, a filter over either.
///
/// Readers are used by one thread at a time (a source's own thread) and are not `Sendable`.
/// Each one owns its C resources (file descriptor, `z_stream`) and frees them in `deinit`.
public protocol ByteReader: AnyObject {
    /// Fills the start of `buffer` with the next bytes and returns how many were written;
    /// 0 means the end of the stream (and only then). Throws ``SourceError`` on a read or format failure.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Bytes consumed from the file on disk so far (compressed bytes for a compressed file), for progress and ETA.
    var compressedBytesRead: Int64 { get }
    /// Bytes this reader has handed out so far.
    var bytesProduced: Int64 { get }
}

extension ByteReader {
    /// Reads until `buffer` is full or the stream ends; returns the number of bytes read.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n == 0 { break }
            filled += n
        }
        return filled
    }
}
