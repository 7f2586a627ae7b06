import CZlib
import Foundation
import XCTest
@testable import SeederCore

/// Hands out bytes held in memory in pieces of the given sizes (cycling), then optionally fails.
private final class MemoryByteReader: ByteReader {
    struct Failure: Error, Equatable {}
    private let bytes: [UInt8]
    private let pieces: [Int]
    private let failAtEnd: Bool
    private var offset = 0
    private var piece = 0
    private(set) var bytesProduced: Int64 = 0
    var compressedBytesRead: Int64 { Int64(offset) }

    init(_ bytes: [UInt8], pieces: [Int] = [Int.max], failAtEnd: Bool = false) {
        self.bytes = bytes
        self.pieces = pieces
        self.failAtEnd = failAtEnd
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if offset == bytes.count {
            if failAtEnd { throw Failure() }
            return 0
        }
        let n = min(buffer.count, pieces[piece % pieces.count], bytes.count - offset)
        piece += 1
        for i in 0..<n { buffer[i] = bytes[offset + i] }
        offset += n
        bytesProduced += Int64(n)
        return n
    }
}

/// Reads everything from `reader` with buffers of `size` bytes.
/// Reads to the end with buffers of the given sizes in turn (small and large mixed, as no caller here does today).
private func drain(_ reader: ByteReader, alternating sizes: [Int]) throws -> [UInt8] {
    var out: [UInt8] = []
    var turn = 0
    while true {
        var buffer = [UInt8](repeating: 0, count: sizes[turn % sizes.count])
        turn += 1
        let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
        if n == 0 { return out }
        out += buffer.prefix(n)
    }
}

private func drain(_ reader: ByteReader, bufferSize size: Int) throws -> [UInt8] {
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: size)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
        if n == 0 { return out }
        out += buffer.prefix(n)
    }
}

final class ByteReaderTests: XCTestCase {

    /// Text with valid multi-byte characters, sprinkled with damage of every kind.
    func messyBytes(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
        let valid: [[UInt8]] = ["a", "Z", " ", "\n", "é", "€", "😀", "ā", "中", "<"].map { Array($0.utf8) }
        let damage: [[UInt8]] = [[0x80], [0xBF], [0xC0], [0xC1, 0x80], [0xF5], [0xFF], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
                                 [0xED, 0xA0, 0x80], [0xE0, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC2], [0xEF, 0xBF, 0xBD]]
        var out: [UInt8] = []
        while out.count < count {
            if Int.random(in: 0..<10, using: &rng) == 0 {
                out += damage.randomElement(using: &rng)!
            } else {
                out += valid.randomElement(using: &rng)!
            }
        }
        return out
    }

    func testSanitizerReplacesLikeSwiftDecoding() throws {
        var rng = SplitMix64(seed: 7)
        for round in 0..<60 {
            let input = messyBytes(Int.random(in: 0..<3000, using: &rng), &rng)
            let expected = Array(String(decoding: input, as: UTF8.self).utf8)
            for (pieces, bufferSize) in [([Int.max], 65_536), ([1], 4), ([2, 3, 5], 7), ([7], 3), ([1000], 1), ([13], 64)] {
                let sanitizer = UTF8Sanitizer(source: MemoryByteReader(input, pieces: pieces))
                let output = try drain(sanitizer, bufferSize: bufferSize)
                XCTAssertEqual(output, expected, "round \(round), pieces \(pieces), buffer \(bufferSize)")
                XCTAssertEqual(sanitizer.bytesProduced, Int64(output.count))
            }
        }
    }

    func testSanitizerCountsMaximalSubparts() throws {
        // The Unicode Standard's example (§3.9, table 3-8): 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64.
        let input: [UInt8] = [0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80, 0x63, 0x80, 0xBF, 0x64]
        let sanitizer = UTF8Sanitizer(source: MemoryByteReader(input, pieces: [2]))
        let output = try drain(sanitizer, bufferSize: 16)
        XCTAssertEqual(String(decoding: output, as: UTF8.self), "a\u{FFFD}\u{FFFD}\u{FFFD}b\u{FFFD}c\u{FFFD}\u{FFFD}d")
        XCTAssertEqual(sanitizer.replacements, 6)

        // A sequence cut by the end of the stream is replaced; one split by a read is not.
        let cut = UTF8Sanitizer(source: MemoryByteReader(Array("ab€".utf8).dropLast(), pieces: [1]))
        XCTAssertEqual(String(decoding: try drain(cut, bufferSize: 8), as: UTF8.self), "ab\u{FFFD}")
        let split = UTF8Sanitizer(source: MemoryByteReader(Array("x😀y".utf8), pieces: [1]))
        XCTAssertEqual(try drain(split, bufferSize: 8), Array("x😀y".utf8))
        XCTAssertEqual(split.replacements, 0)
    }

    /// Drops `<links>…</links>` keeping newlines, the slow obvious way.
    func elideReference(_ input: [UInt8]) -> [UInt8] {
        let open = Array("<links>".utf8), close = Array("</links>".utf8)
        func find(_ needle: [UInt8], from: Int) -> Int? {
            guard input.count >= needle.count else { return nil }
            var i = from
            while i + needle.count <= input.count {
                if Array(input[i..<(i + needle.count)]) == needle { return i }
                i += 1
            }
            return nil
        }
        var out: [UInt8] = []
        var i = 0
        while i < input.count {
            guard let start = find(open, from: i) else {
                out += input[i...]
                break
            }
            out += input[i..<start]
            guard let end = find(close, from: start + open.count) else {
                out += input[(start + open.count)...].filter { $0 == 0x0A }
                break
            }
            out += input[(start + open.count)..<end].filter { $0 == 0x0A }
            i = end + close.count
        }
        return out
    }

    func testElementEliderMatchesReference() throws {
        var rng = SplitMix64(seed: 11)
        let parts: [String] = ["<doc>", "<title>T</title>", "text ", "\n", "<links>", "</links>", "<sublink>a</sublink>\n",
                               "<lin", "</link>", "ks>", "<link>", "</doc>", "<links/>", "\u{0}", "é"]
        for round in 0..<300 {
            var input: [UInt8] = []
            for _ in 0..<Int.random(in: 0..<80, using: &rng) { input += Array(parts.randomElement(using: &rng)!.utf8) }
            let expected = elideReference(input)
            for (pieces, bufferSize) in [([Int.max], 65_536), ([1], 10), ([3, 5], 11), ([9], 4)] {
                let elider = ElementElider(source: MemoryByteReader(input, pieces: pieces), elementName: "links")
                XCTAssertEqual(try drain(elider, bufferSize: bufferSize), expected, "round \(round) \(pieces) \(bufferSize)")
            }
        }
    }

    func testReadersKeepTheStreamInOrderWhenSmallAndLargeReadsAlternate() throws {
        var rng = SplitMix64(seed: 23)
        for _ in 0..<50 {
            var input: [UInt8] = []
            for _ in 0..<Int.random(in: 100..<3_000, using: &rng) {
                input += Array(["<links>x</links>", "abc é ", "\n", "<lin"].randomElement(using: &rng)!.utf8)
                if Int.random(in: 0..<20, using: &rng) == 0 { input.append(0xFF) }
            }
            let sizes = [3, 9_000, 1, 17, 65_536]
            let elided = try drain(ElementElider(source: MemoryByteReader(input, pieces: [700]), elementName: "links"), alternating: sizes)
            let expected = elideReference(input)
            XCTAssertTrue(elided == expected, "elider out of order: \(elided.count) bytes vs \(expected.count)")
            let sanitized = try drain(UTF8Sanitizer(source: MemoryByteReader(input, pieces: [700])), alternating: sizes)
            let repaired = Array(String(decoding: input, as: UTF8.self).utf8)
            XCTAssertTrue(sanitized == repaired, "sanitizer out of order: \(sanitized.count) bytes vs \(repaired.count)")
        }
    }

    func testEliderHandsOutHeldBackBytesBeforeTheSourceError() throws {
        let input = Array("<doc><links>x</links></doc>\n".utf8)
        let elider = ElementElider(source: MemoryByteReader(input, failAtEnd: true), elementName: "links")
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        XCTAssertThrowsError(try {
            while true {
                let n = try buffer.withUnsafeMutableBytes { try elider.read(into: $0) }
                if n == 0 { break }
                out += buffer.prefix(n)
            }
        }()) { XCTAssertTrue($0 is MemoryByteReader.Failure) }
        XCTAssertEqual(out, Array("<doc></doc>\n".utf8))
    }

    func gzip(_ bytes: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        _ = deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        defer { deflateEnd(&stream) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
        input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                _ = deflate(&stream, Z_FINISH)
            }
        }
        return Array(output.prefix(Int(stream.total_out)))
    }

    func testGzipReaderWithTinyReadsAndManyMembers() throws {
        var rng = SplitMix64(seed: 3)
        let parts = (0..<5).map { _ in (0..<Int.random(in: 0..<5000, using: &rng)).map { _ in UInt8.random(in: 97...100, using: &rng) } }
        let compressed = parts.map(gzip).reduce([], +) + [0, 0, 0]
        for (pieces, bufferSize) in [([Int.max], 65_536), ([1], 1), ([17], 5)] {
            let reader = try GzipByteReader(source: MemoryByteReader(compressed, pieces: pieces), path: "mem.gz", inputBufferSize: 100)
            XCTAssertEqual(try drain(reader, bufferSize: bufferSize), parts.reduce([], +))
            XCTAssertEqual(reader.membersRead, 5)
            XCTAssertEqual(reader.compressedBytesRead, Int64(compressed.count))
        }
        // Zero padding followed by anything else is damage.
        let reader = try GzipByteReader(source: MemoryByteReader(gzip([1, 2, 3]) + [0, 0, 7]), path: "mem.gz")
        XCTAssertThrowsError(try drain(reader, bufferSize: 64)) {
            XCTAssertEqual(($0 as? SourceError)?.kind, .corruptCompression)
        }
    }

    func testReadAheadKeepsOrderAndDeliversBytesBeforeTheError() throws {
        var rng = SplitMix64(seed: 5)
        let input = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let plain = ReadAheadByteReader(source: MemoryByteReader(input, pieces: [1000, 77_777]), bufferSize: 4096, depth: 3)
        XCTAssertEqual(try drain(plain, bufferSize: 5000), input)
        XCTAssertEqual(plain.compressedBytesRead, Int64(input.count))

        let failing = ReadAheadByteReader(source: MemoryByteReader(input, pieces: [999], failAtEnd: true), bufferSize: 4096)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 3000)
        XCTAssertThrowsError(try {
            while true {
                let n = try buffer.withUnsafeMutableBytes { try failing.read(into: $0) }
                if n == 0 { break }
                out += buffer.prefix(n)
            }
        }()) { XCTAssertTrue($0 is MemoryByteReader.Failure) }
        XCTAssertEqual(out, input)

        // Dropped half-way: deinit stops the thread (the test would hang otherwise).
        var abandoned: ReadAheadByteReader? = ReadAheadByteReader(source: MemoryByteReader(input, pieces: [10]), bufferSize: 4096, depth: 2)
        var small = [UInt8](repeating: 0, count: 10)
        _ = try small.withUnsafeMutableBytes { try abandoned?.read(into: $0) }
        abandoned = nil
        XCTAssertNil(abandoned)
    }

    func testCompressionIsDetectedByMagicBytes() {
        XCTAssertEqual(InputFile.Compression.detect([0x1F, 0x8B, 8, 0]), .gzip)
        XCTAssertEqual(InputFile.Compression.detect(Array("BZh91AY".utf8)), .bzip2)
        XCTAssertEqual(InputFile.Compression.detect([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]), .xz)
        XCTAssertEqual(InputFile.Compression.detect([0x28, 0xB5, 0x2F, 0xFD]), .zstd)
        XCTAssertEqual(InputFile.Compression.detect(Array("<feed>".utf8)), .none)
        XCTAssertEqual(InputFile.Compression.detect(Array("BZhx".utf8)), .none)
    }
}
