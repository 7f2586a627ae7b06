import XCTest
@testable import SeederCore

/// Line splitting: terminators, byte-order marks, over-long lines in bounded memory, buffer boundaries.
final class LineReaderTests: XCTestCase {
    /// Every line as (number, text) or (number, "<too long N>").
    func lines(_ bytes: [UInt8], maxLineBytes: Int = 1 << 20, step: Int = .max, bufferSize: Int = 4096) throws -> [String] {
        let reader = LineReader(source: ChunkedMemoryReader(bytes, step: step), path: "test.txt",
                                maxLineBytes: maxLineBytes, bufferSize: bufferSize)
        var out: [String] = []
        while let line = try reader.next() {
            switch line {
            case .text(let number, let bytes): out.append("\(number):\(String(decoding: bytes, as: UTF8.self))")
            case .tooLong(let number, let count): out.append("\(number):<too long \(count)>")
            }
        }
        return out
    }

    func testTerminatorsAndLastLineWithoutNewline() throws {
        XCTAssertEqual(try lines(Array("a\nbb\r\n\nccc".utf8)), ["1:a", "2:bb", "3:", "4:ccc"])
        XCTAssertEqual(try lines(Array("a\n".utf8)), ["1:a"])
        XCTAssertEqual(try lines(Array("a\r\n".utf8)), ["1:a"])
        XCTAssertEqual(try lines(Array("x\r".utf8)), ["1:x"])
        XCTAssertEqual(try lines([]), [])
    }

    func testUTF8ByteOrderMarkIsDropped() throws {
        XCTAssertEqual(try lines([0xEF, 0xBB, 0xBF] + Array("héllo\nworld".utf8)), ["1:héllo", "2:world"])
        // Byte by byte: the mark is recognized although the first read is a single byte.
        XCTAssertEqual(try lines([0xEF, 0xBB, 0xBF] + Array("hi\n".utf8), step: 1), ["1:hi"])
    }

    func testUTF16IsRefusedWithAConversionHint() throws {
        for (bom, name) in [([0xFF, 0xFE] as [UInt8], "UTF-16LE"), ([0xFE, 0xFF], "UTF-16BE")] {
            XCTAssertThrowsError(try lines(bom + [0x61, 0x00, 0x0A, 0x00])) { error in
                let error = error as? SourceError
                XCTAssertEqual(error?.kind, .wrongFormat)
                XCTAssertTrue(error?.message.contains(name) == true, "\(String(describing: error))")
                XCTAssertTrue(error?.hint?.contains("iconv") == true)
            }
        }
    }

    func testLinesAcrossReadBoundaries() throws {
        // Lines longer than a read, reads of 7 bytes: every line comes out whole and numbered.
        let expected = (1...200).map { String(repeating: Character(Unicode.Scalar(UInt8(97 + $0 % 26))), count: $0 * 37) }
        let text = expected.joined(separator: "\r\n") + "\r\n"
        let got = try lines(Array(text.utf8), step: 7)
        XCTAssertEqual(got, expected.enumerated().map { "\($0.offset + 1):\($0.element)" })
    }

    func testOverLongLinesAreSkippedWithTheirLengthAndNumber() throws {
        // 50 000-byte line with a 1000-byte cap and 4096-byte buffer: reported, not kept; the next lines are intact.
        let long = String(repeating: "x", count: 50_000)
        let text = "short\n\(long)\r\nafter\n\(long)"
        XCTAssertEqual(try lines(Array(text.utf8), maxLineBytes: 1000, step: 3000),
                       ["1:short", "2:<too long 50000>", "3:after", "4:<too long 50000>"])
        // Exactly at the cap is fine; one byte more is too long (with or without \r).
        let atCap = String(repeating: "y", count: 1000)
        XCTAssertEqual(try lines(Array("\(atCap)\r\n\(atCap)y\nz".utf8), maxLineBytes: 1000),
                       ["1:\(atCap)", "2:<too long 1001>", "3:z"])
    }

    func testMemoryStaysBoundedForAHugeLine() throws {
        // A 20 MB line with a 64 KiB cap: the reader never grows far beyond the cap.
        final class Endless: ByteReader {
            var remaining = 20_000_000
            var compressedBytesRead: Int64 = 0
            var bytesProduced: Int64 = 0
            func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
                let n = min(buffer.count, remaining)
                for i in 0..<n { buffer[i] = 0x61 }
                remaining -= n
                bytesProduced += Int64(n)
                return n
            }
        }
        let source = Endless()
        let reader = LineReader(source: source, path: "huge", maxLineBytes: 64 * 1024, bufferSize: 64 * 1024)
        guard case .tooLong(1, let count)? = try reader.next() else { return XCTFail("expected a too-long line") }
        XCTAssertEqual(count, 20_000_000)
        XCTAssertNil(try reader.next())
    }
}
