/// Serves reads into buffers smaller than a reader's unit of output (a whole tag, a 3-byte U+FFFD) from bytes
/// produced by one larger read. While it holds bytes, the reader must serve from it before reading anything new,
/// whatever the size of the next buffer, or the stream would come out of order.
struct ReadStager {
    private var staged: [UInt8] = []
    private var offset = 0

    /// True when nothing is staged.
    var isEmpty: Bool { offset >= staged.count }

    /// Stages bytes (only when empty).
    mutating func stage(_ bytes: ArraySlice<UInt8>) {
        staged = Array(bytes)
        offset = 0
    }

    /// Moves as many staged bytes as fit into `buffer`; returns how many.
    mutating func take(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, staged.count - offset)
        guard n > 0 else { return 0 }
        staged.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + n)])) }
        offset += n
        return n
    }
}
