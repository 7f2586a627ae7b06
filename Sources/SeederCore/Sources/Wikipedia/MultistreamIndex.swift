#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The companion index of a multistream dump (`…-multistream-index.txt.bz2`): one `offset:pageid:title` line per
/// page, `offset` being where the page's bzip2 stream starts in the dump.
///
/// Only the streams are kept (their offsets and page counts): enwiki's index lists 24 million pages but only about
/// 240,000 streams, so this takes a few MB whatever the dump's size.
public struct MultistreamIndex: Sendable, Equatable {
    /// Start offsets of the page streams, ascending.
    public private(set) var offsets: [Int64] = []
    /// Pages in each stream, by the index.
    public private(set) var pageCounts: [Int32] = []

    public var pages: Int64 { pageCounts.reduce(0) { $0 + Int64($1) } }

    public init(offsets: [Int64], pageCounts: [Int32]) {
        self.offsets = offsets
        self.pageCounts = pageCounts
    }

    /// Where the index of `dump` is by Wikimedia's naming (`X-multistream.xml.bz2` → `X-multistream-index.txt.bz2`,
    /// or the uncompressed `.txt`), if such a file exists.
    public static func companion(of dump: String) -> String? {
        var stem = dump
        for suffix in [".xml.bz2", ".bz2", ".xml"] where stem.hasSuffix(suffix) {
            stem.removeLast(suffix.count)
            break
        }
        for candidate in [stem + "-index.txt.bz2", stem + "-index.txt"] where access(candidate, R_OK) == 0 {
            return candidate
        }
        return nil
    }

    /// Reads the index at `path` (bzip2 or plain text). Throws ``SourceError`` naming the line of a malformed
    /// entry or of an offset that goes backwards: an index that does not describe its dump is not guessed around.
    public static func load(_ path: String) throws -> MultistreamIndex {
        let input = try InputFile.open(path, readAhead: false)
        var index = MultistreamIndex(offsets: [], pageCounts: [])
        var line = 1
        var field: Int64 = 0
        var digits = 0
        /// 0: in the offset; 1: after it, until the end of the line.
        var part = 0
        func malformed(_ what: String) -> SourceError {
            SourceError(.wrongFormat, file: path, position: "line \(line)", message: "not a multistream index line: \(what)",
                        hint: "an index holds 'offset:pageid:title' lines; re-download it, or set source.index = \"none\" to read the dump without it")
        }
        func endOfEntry() throws {
            guard part == 1 || digits > 0 else { return } // a blank line
            guard digits > 0, part == 1 else { throw malformed("no ':' after the offset") }
            if let last = index.offsets.last, field == last {
                index.pageCounts[index.pageCounts.count - 1] += 1
            } else {
                if let last = index.offsets.last, field < last {
                    throw SourceError(.wrongFormat, file: path, position: "line \(line)",
                                      message: "offset \(field) comes after offset \(last): the index is not in dump order",
                                      hint: "re-download the index, or set source.index = \"none\" to read the dump without it")
                }
                index.offsets.append(field)
                index.pageCounts.append(1)
            }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try input.reader.read(into: buffer)
            if count == 0 { break }
            for byte in buffer[..<count] {
                if byte == UInt8(ascii: "\n") {
                    try endOfEntry()
                    line += 1
                    field = 0
                    digits = 0
                    part = 0
                } else if part == 0 {
                    if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                        digits += 1
                        guard digits <= 18 else { throw malformed("offset too large") }
                        field = field * 10 + Int64(byte - UInt8(ascii: "0"))
                    } else if byte == UInt8(ascii: ":") {
                        guard digits > 0 else { throw malformed("no offset before ':'") }
                        part = 1
                    } else if byte != UInt8(ascii: "\r") {
                        throw malformed("'\(Character(Unicode.Scalar(byte)))' in the offset")
                    }
                }
            }
        }
        try endOfEntry()
        guard !index.offsets.isEmpty else {
            throw SourceError(.empty, file: path, message: "the index lists no pages",
                              hint: "re-download it, or set source.index = \"none\" to read the dump without it")
        }
        return index
    }
}
