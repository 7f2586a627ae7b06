import XCTest
@testable import SeederCore

/// The binary COPY input, byte for byte, as PostgreSQL's documentation of the format describes it.
final class BinaryCopyEncoderTests: XCTestCase {
    private let header: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00,  // PGCOPY\n\377\r\n\0
                                   0, 0, 0, 0,  // flags
                                   0, 0, 0, 0]  // header extension length

    func testEmptyInputIsHeaderAndTrailer() {
        var encoder = BinaryCopyEncoder()
        XCTAssertEqual(encoder.finish(), header + [0xFF, 0xFF])
    }

    func testOneTupleOfEveryFieldKind() {
        var encoder = BinaryCopyEncoder()
        encoder.beginTuple(fields: 5)
        encoder.text("hé")
        encoder.bytea([0x00, 0x80, 0xFF])
        encoder.int4(-2)
        encoder.int8(0x0102_0304_0506_0708)
        encoder.null()
        let expected: [UInt8] = header
            + [0x00, 0x05]
            + [0, 0, 0, 3, 0x68, 0xC3, 0xA9]
            + [0, 0, 0, 3, 0x00, 0x80, 0xFF]
            + [0, 0, 0, 4, 0xFF, 0xFF, 0xFF, 0xFE]
            + [0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]
            + [0xFF, 0xFF, 0xFF, 0xFF]
            + [0xFF, 0xFF]
        XCTAssertEqual(encoder.finish(), expected)
    }

    func testANulInTextBecomesTheReplacementCharacterWhichPostgreSQLAccepts() {
        var encoder = BinaryCopyEncoder()
        encoder.beginTuple(fields: 1)
        encoder.text("a\u{0}b")
        XCTAssertEqual(encoder.finish(), header + [0, 1, 0, 0, 0, 5, 0x61, 0xEF, 0xBF, 0xBD, 0x62] + [0xFF, 0xFF])
    }

    func testTwoTuplesFollowEachOther() {
        var encoder = BinaryCopyEncoder()
        for value in ["a", ""] {
            encoder.beginTuple(fields: 1)
            encoder.text(value)
        }
        XCTAssertEqual(encoder.finish(), header + [0, 1, 0, 0, 0, 1, 0x61] + [0, 1, 0, 0, 0, 0] + [0xFF, 0xFF])
    }
}
