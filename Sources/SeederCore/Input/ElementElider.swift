#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Drops every `<name>…</name>` span from an XML byte stream before it reaches the parser, keeping the span's
/// line breaks so that the parser's line numbers still match the file.
///
/// Why: in Wikipedia's abstract dumps `<links>` holds about 85% of the bytes and 95% of the elements (two dozen
/// `<sublink>`s per doc) and none of the text a source wants; finding `</links>` 16 bytes at a time is about ten
/// times cheaper than letting libxml2 parse it and call back into Swift for every element.
///
/// The match is on the exact bytes `<name>` and `</name>`. That is safe for machine-written dumps: in XML text
/// and attribute values `<` is always escaped, so those bytes can only be tags (or sit in a comment or a CDATA
/// section, which the abstract dumps do not use). A `<name …>` with attributes, `<name/>` or another spelling is
/// not matched and simply goes to the parser. The content of an elided span is not checked at all (not even
/// for valid UTF-8 or well-formedness), which is what a source that ignores it wants. Spans must not nest.
/// The tag needs at least 3 bytes (`<a>`).
public final class ElementElider: ByteReader {
    private let source: ByteReader
    private let openTag: [UInt8]
    private let closeTag: [UInt8]
    /// Bytes read from the source but held back: a tag may begin in them.
    private var carry: [UInt8] = []
    private var inside = false
    private var sourceEnded = false
    private var pendingError: Error?
    /// Spans dropped so far.
    public private(set) var spansElided: Int64 = 0
    public private(set) var bytesProduced: Int64 = 0
    public var compressedBytesRead: Int64 { source.compressedBytesRead }

    /// Drops the `<elementName>…</elementName>` spans of `source`'s bytes.
    public init(source: ByteReader, elementName: String) {
        self.source = source
        openTag = Array("<\(elementName)>".utf8)
        closeTag = Array("</\(elementName)>".utf8)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        // The carry takes at most a tag's length, so a buffer must hold two; smaller ones are served staged.
        if !stager.isEmpty || buffer.count <= 2 * closeTag.count {
            if stager.isEmpty {
                var scratch = [UInt8](repeating: 0, count: 4096)
                let n = try scratch.withUnsafeMutableBytes { try readLarge(into: $0) }
                stager.stage(scratch.prefix(n))
            }
            return stager.take(into: buffer)
        }
        return try readLarge(into: buffer)
    }

    private func readLarge(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        while true {
            let carried = carry.count
            carry.withUnsafeBytes { held in
                if let start = held.baseAddress, carried > 0 { base.copyMemory(from: start, byteCount: carried) }
            }
            carry.removeAll(keepingCapacity: true)
            var count = carried
            if !sourceEnded {
                do {
                    let n = try source.read(into: UnsafeMutableRawBufferPointer(start: base + carried, count: buffer.count - carried))
                    if n == 0 { sourceEnded = true }
                    count += n
                } catch {
                    // Hand out the held-back bytes first (they may complete the last item); the error comes next.
                    pendingError = error
                    sourceEnded = true
                }
            }
            let produced = elide(bytes, count: count)
            if produced > 0 {
                bytesProduced += Int64(produced)
                return produced
            }
            if sourceEnded && carry.isEmpty {
                if let pendingError { throw pendingError }
                return 0
            }
        }
    }

    /// Drops spans from `bytes[0..<count]` in place; returns the length kept. Holds back a possible partial tag
    /// at the end in `carry` unless the source has ended.
    private func elide(_ bytes: UnsafeMutablePointer<UInt8>, count: Int) -> Int {
        var read = 0
        var write = 0
        while read < count {
            let tag = inside ? closeTag : openTag
            let found = Self.find(tag, in: bytes, from: read, count: count)
            let end: Int // where the current run (inside or outside a span) stops
            if let found {
                end = found
            } else if sourceEnded {
                end = count
            } else {
                end = max(read, count - (tag.count - 1)) // a tag may begin in the last bytes: hold them back
            }
            if inside {
                // Keep only the line breaks of the dropped bytes.
                let lines = Self.countNewlines(bytes + read, end - read)
                for _ in 0..<lines { bytes[write] = 0x0A; write += 1 }
            } else if end > read {
                if write != read { memmove(bytes + write, bytes + read, end - read) }
                write += end - read
            }
            read = end
            if found != nil {
                read += tag.count
                inside.toggle()
                if !inside { spansElided += 1 }
            } else if read < count {
                carry.append(contentsOf: UnsafeBufferPointer(start: bytes + read, count: count - read))
                read = count
            }
        }
        return write
    }

    /// The offset of the first `needle` (3 bytes or more) in `bytes[from..<count]`. Candidates are found 16
    /// positions at a time by their first three bytes (SIMD compares), then checked whole.
    static func find(_ needle: [UInt8], in bytes: UnsafePointer<UInt8>, from: Int, count: Int) -> Int? {
        needle.withUnsafeBufferPointer { tag in
            let length = tag.count
            let raw = UnsafeRawPointer(bytes)
            let first = SIMD16<UInt8>(repeating: tag[0]), second = SIMD16<UInt8>(repeating: tag[1])
            let third = SIMD16<UInt8>(repeating: tag[2])
            @inline(__always) func matches(at i: Int) -> Bool {
                for k in 0..<length where bytes[i + k] != tag[k] { return false }
                return true
            }
            var i = from
            while i + 16 + 2 <= count {
                let hits = (raw.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self) .== first)
                    .& (raw.loadUnaligned(fromByteOffset: i + 1, as: SIMD16<UInt8>.self) .== second)
                    .& (raw.loadUnaligned(fromByteOffset: i + 2, as: SIMD16<UInt8>.self) .== third)
                if any(hits) {
                    for k in 0..<16 where hits[k] && i + k + length <= count && matches(at: i + k) {
                        return i + k
                    }
                }
                i += 16
            }
            while i + length <= count {
                if matches(at: i) { return i }
                i += 1
            }
            return nil
        }
    }

    private static func countNewlines(_ start: UnsafeMutablePointer<UInt8>, _ length: Int) -> Int {
        var lines = 0
        var p = UnsafeRawPointer(start)
        var left = length
        while left > 0, let hit = memchr(p, 0x0A, left) {
            lines += 1
            let step = UnsafeRawPointer(hit) - p + 1
            p += step
            left -= step
        }
        return lines
    }

    /// Bytes produced for a buffer too small for a tag, handed out before anything else.
    private var stager = ReadStager()
}
