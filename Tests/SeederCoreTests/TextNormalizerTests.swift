import Foundation
import XCTest

@testable import SeederCore

/// Checks ``TextNormalizer`` against the published vectors and against its own reference path.
///
/// Strings are compared by their scalars or UTF-8 bytes, never with `==`: `String ==` is canonical
/// equivalence, so it would call "e\u{301}" and "é" equal and hide exactly the bugs tested here.
final class TextNormalizerTests: XCTestCase {
    private struct Vectors: Decodable {
        var version: String
        var cases: [Case]
        struct Case: Decodable {
            var name: String
            var input: String
            var normalized: String
            var text_hash: String
        }
    }

    /// `docs/normalization-vectors.json` of the package this file lives in. Symlinks are resolved so
    /// that a scratch package linking this file still finds the repo's copy;
    /// `SEEDER_NORMALIZATION_VECTORS` overrides the path.
    private static func vectorsURL() -> URL {
        if let path = ProcessInfo.processInfo.environment["SEEDER_NORMALIZATION_VECTORS"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent()  // SeederCoreTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
            .appendingPathComponent("docs/normalization-vectors.json")
    }

    private static func loadVectors() throws -> Vectors {
        let data = try Data(contentsOf: vectorsURL())
        return try JSONDecoder().decode(Vectors.self, from: data)
    }

    private func scalars(_ s: String) -> [UInt32] { s.unicodeScalars.map(\.value) }

    private func show(_ s: String) -> String {
        s.unicodeScalars.map { $0.value < 0x7F && $0.value >= 0x20 ? String($0) : String(format: "\\u{%X}", $0.value) }
            .joined()
    }

    private func assertSameScalars(
        _ actual: String, _ expected: String, _ message: @autoclosure () -> String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        if scalars(actual) != scalars(expected) {
            XCTFail("\(message()): got \"\(show(actual))\", expected \"\(show(expected))\"", file: file, line: line)
        }
    }

    // MARK: - Published vectors

    func testVectorsFileMatchesVersion() throws {
        let vectors = try Self.loadVectors()
        XCTAssertEqual(vectors.version, TextNormalizer.version)
        XCTAssertGreaterThanOrEqual(vectors.cases.count, 40)
        XCTAssertEqual(Set(vectors.cases.map(\.name)).count, vectors.cases.count, "case names are unique")
    }

    func testVectors() throws {
        for c in try Self.loadVectors().cases {
            let (normalized, hash) = TextNormalizer.normalizeAndHash(c.input)
            assertSameScalars(normalized, c.normalized, c.name)
            XCTAssertEqual(Array(normalized.utf8), Array(c.normalized.utf8), c.name)
            XCTAssertEqual(hash.hex, c.text_hash, c.name)
            XCTAssertEqual(TextHash(hex: c.text_hash), hash, c.name)
            assertSameScalars(TextNormalizer.normalizeGeneral(c.input), c.normalized, "\(c.name) (general path)")
        }
    }

    func testVectorsAreIdempotent() throws {
        for c in try Self.loadVectors().cases {
            let once = TextNormalizer.normalize(c.input)
            assertSameScalars(TextNormalizer.normalize(once), once, c.name)
            assertSameScalars(TextNormalizer.normalize(c.normalized), c.normalized, "\(c.name) (expected output)")
        }
    }

    func testCaseIsNotFolded() {
        XCTAssertNotEqual(
            TextNormalizer.normalizeAndHash("Apple").hash, TextNormalizer.normalizeAndHash("apple").hash)
    }

    // MARK: - Fast paths against the general path

    func testASCIIFastPathAgreesWithGeneralPath() {
        var rng = SplitMix64(seed: 0x5EED_A5C1)
        // Bias towards the bytes that matter: spaces, whitespace controls, other controls, DEL.
        let interesting: [UInt8] = [0x20, 0x20, 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x00, 0x01, 0x1B, 0x1C, 0x1F, 0x7F]
        for round in 0..<20_000 {
            // Dense in special bytes at first, then mostly printable (long clean runs for the
            // 8-byte fast path, with the odd special byte).
            let length = Int.random(in: 0...(round < 10_000 ? 40 : 100), using: &rng)
            let specialOdds = round < 10_000 ? 2 : 12
            var bytes = [UInt8]()
            for _ in 0..<length {
                bytes.append(
                    Int.random(in: 0..<specialOdds, using: &rng) == 0
                        ? interesting.randomElement(using: &rng)!
                        : UInt8.random(in: 0x20...0x7E, using: &rng))
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let fast = TextNormalizer.normalize(text)
            let general = TextNormalizer.normalizeGeneral(text)
            XCTAssertEqual(Array(fast.utf8), Array(general.utf8), "input \(bytes)")
            XCTAssertEqual(Array(TextNormalizer.normalize(fast).utf8), Array(fast.utf8), "idempotence, input \(bytes)")
        }
    }

    func testAlreadyNormalizedTextIsReturnedWithoutCopy() {
        for literal in [
            "An already normalized ASCII text: single spaces, no controls, nothing to trim.",
            "D\u{E9}j\u{E0} normalis\u{E9}: \u{65E5}\u{672C}\u{8A9E}, \u{D55C}\u{AD6D}\u{C5B4}, \u{1F44D}\u{1F3FD}.",
        ] {
            // A heap string (not a literal in the binary, nor a small inline string): if the
            // result shares its buffer, nothing was allocated or copied.
            let text = String(decoding: Array(literal.utf8), as: UTF8.self)
            let result = TextNormalizer.normalize(text)
            let a = text.utf8.withContiguousStorageIfAvailable { $0.baseAddress } ?? nil
            let b = result.utf8.withContiguousStorageIfAvailable { $0.baseAddress } ?? nil
            XCTAssertNotNil(a)
            XCTAssertEqual(a, b, show(literal))
        }
    }

    func testRandomUnicodeIsIdempotentAndAgreesWithGeneralPath() {
        var rng = SplitMix64(seed: 20_240_611)
        for round in 0..<6_000 {
            // Short dense strings, then longer ones with ASCII runs (the 8-byte fast path) around
            // the odd interesting scalar (the NFC span logic).
            let text =
                round < 3_000
                ? randomInterestingString(length: Int.random(in: 0...16, using: &rng), asciiWeight: 0, using: &rng)
                : randomInterestingString(length: Int.random(in: 0...80, using: &rng), asciiWeight: 12, using: &rng)
            let normalized = TextNormalizer.normalize(text)
            let general = TextNormalizer.normalizeGeneral(text)
            assertSameScalars(normalized, general, "fast vs general for \"\(show(text))\"")
            assertSameScalars(TextNormalizer.normalize(normalized), normalized, "idempotence for \"\(show(text))\"")
            assertInvariants(normalized, input: text)
        }
    }

    /// Every scalar treated as NFC-inert must really be: assigned by Unicode 14.0, NFC leaves it
    /// alone, its combining class is 0, and no canonical composition uses it as the second half
    /// (which would make it NFC_Quick_Check = Maybe).
    func testNFCInertScalarsAreInert() {
        var secondHalves = Set<UInt32>()
        // Collect the non-initial scalars of every canonical decomposition: a superset of the
        // second halves of primary composites. Planes 0, 1 and 2 hold every such character.
        for v in UInt32(0)...0x2FFFF {
            guard let scalar = Unicode.Scalar(v) else { continue }
            let s = String(scalar)
            let decomposed = s.decomposedStringWithCanonicalMapping.unicodeScalars.map(\.value)
            if decomposed.count > 1 { secondHalves.formUnion(decomposed.dropFirst()) }
        }
        // Hangul syllables decompose algorithmically; include their jamo V and T explicitly.
        secondHalves.formUnion(0x1161...0x1175)
        secondHalves.formUnion(0x11A8...0x11C2)

        var failures = [String]()
        var inertCount = 0
        for v in UInt32(0)...0x10FFFF where TextNormalizer.isNFCInert(v) {
            inertCount += 1
            let hex = "U+" + String(v, radix: 16, uppercase: true)
            guard let scalar = Unicode.Scalar(v) else {
                failures.append("\(hex) is not a scalar")
                continue
            }
            // Assigned by Unicode 14.0, so that the claim holds for every implementation from 14.0 on.
            if (scalar.properties.age?.major ?? .max) > 14 { failures.append("\(hex) not in Unicode 14.0") }
            if scalar.properties.canonicalCombiningClass != .notReordered { failures.append("\(hex) ccc") }
            if secondHalves.contains(v) { failures.append("\(hex) composes as a second half") }
            if scalars(TextNormalizer.nfc(String(scalar))) != [v] { failures.append("\(hex) changed by NFC") }
        }
        XCTAssertEqual(failures, [])
        XCTAssertGreaterThan(inertCount, 40_000)
        XCTAssertTrue(TextNormalizer.isNFCInert(0x00E9))
        XCTAssertTrue(TextNormalizer.isNFCInert(0x4E00))
        XCTAssertFalse(TextNormalizer.isNFCInert(0x0300))
        XCTAssertFalse(TextNormalizer.isNFCInert(0x212B))
        XCTAssertFalse(TextNormalizer.isNFCInert(0x3099))
        XCTAssertFalse(TextNormalizer.isNFCInert(0x11A8))
    }

    func testSetsAreDisjointAndMatchWhiteSpaceProperty() {
        var mismatches = [String]()
        for v in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(v) else { continue }
            let white = TextNormalizer.isWhiteSpace(v), removed = TextNormalizer.isRemoved(v)
            if white != scalar.properties.isWhitespace { mismatches.append("White_Space U+\(String(v, radix: 16))") }
            if white && removed { mismatches.append("both U+\(String(v, radix: 16))") }
            let expected: TextNormalizer.ScalarClass = white ? .space : removed ? .removed : .keep
            if TextNormalizer.classify(v) != expected { mismatches.append("classify U+\(String(v, radix: 16))") }
            if scalar.properties.generalCategory == .control && !white && !removed {
                mismatches.append("Cc kept U+\(String(v, radix: 16))")
            }
        }
        XCTAssertEqual(mismatches, [])
        // Meaningful invisible characters are kept.
        let kept: [UInt32] = [
            0x200C, 0x200D, 0x200E, 0x200F, 0x202A, 0x202E, 0x2066, 0x2069, 0x061C, 0xFE0F, 0xE0100, 0x034F, 0x180E,
        ]
        for v in kept {
            XCTAssertFalse(TextNormalizer.isRemoved(v) || TextNormalizer.isWhiteSpace(v), "U+\(String(v, radix: 16))")
        }
    }

    // MARK: - Helpers

    /// What any output must satisfy: no White_Space but single inner U+0020, nothing removable, NFC.
    private func assertInvariants(_ s: String, input: String, file: StaticString = #filePath, line: UInt = #line) {
        let v = scalars(s)
        if v.first == 0x20 || v.last == 0x20 {
            XCTFail("untrimmed output for \"\(show(input))\"", file: file, line: line)
        }
        for (i, x) in v.enumerated() {
            if TextNormalizer.isRemoved(x) || (TextNormalizer.isWhiteSpace(x) && x != 0x20)
                || (x == 0x20 && i > 0 && v[i - 1] == 0x20)
            {
                XCTFail("bad scalar U+\(String(x, radix: 16)) in output for \"\(show(input))\"", file: file, line: line)
                return
            }
        }
        if scalars(TextNormalizer.nfc(s)) != v {
            XCTFail("output not NFC for \"\(show(input))\"", file: file, line: line)
        }
    }

    /// Scalars that exercise every rule: whitespace, removed characters, kept invisibles, marks that
    /// reorder and compose, singletons, composition exclusions, jamo, emoji.
    private static let pool: [UInt32] = [
        0x61, 0x65, 0x6E, 0x41, 0x4B, 0x20, 0x20, 0x20,
        0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2003, 0x200A, 0x2028, 0x2029,
        0x202F, 0x205F, 0x3000,
        0x00, 0x01, 0x1F, 0x7F, 0x80, 0x84, 0x86, 0x9F, 0xAD, 0x200B, 0x2060, 0xFEFF,
        0x200C, 0x200D, 0x200E, 0x200F, 0x2067, 0x2069, 0xFE0F, 0xE0100, 0x034F, 0x180E,
        0x0300, 0x0301, 0x0302, 0x0303, 0x0307, 0x0308, 0x030A, 0x0316, 0x0323, 0x0327, 0x0338, 0x0344, 0x0345,
        0xE9, 0xC5, 0xF1, 0x1EC7, 0x1E0D, 0x212B, 0x212A, 0x2126, 0x1F71, 0x037E, 0x0387, 0x2329, 0x0340,
        0x0958, 0x0915, 0x093C, 0x094D, 0xFB2B, 0x05E9, 0x05B8, 0x05C1, 0x05C2, 0x0628, 0x064E, 0x0651, 0x0653,
        0x0B95, 0x0BC6, 0x0BBE, 0x0BCA,
        0x1100, 0x1112, 0x1161, 0x1173, 0x11A8, 0x11AB, 0xAC00, 0xAC01, 0xD55C,
        0x304B, 0x30AB, 0x3099, 0x309A, 0x65E5, 0x672C, 0x2260, 0x3D, 0xFB01, 0xFF21,
        0x1F468, 0x1F469, 0x1F44D, 0x1F3FD, 0x1F1EF, 0x1F1F5, 0x20E3,
    ]

    /// `length` scalars from ``pool``, each replaced with a printable ASCII byte or a single space
    /// with odds `asciiWeight` to 1.
    private func randomInterestingString(length: Int, asciiWeight: Int, using rng: inout SplitMix64) -> String {
        var s = String.UnicodeScalarView()
        for _ in 0..<length {
            if Int.random(in: 0...asciiWeight, using: &rng) != 0 {
                let byte = Int.random(in: 0..<6, using: &rng) == 0 ? 0x20 : UInt8.random(in: 0x21...0x7E, using: &rng)
                s.append(Unicode.Scalar(byte))
            } else {
                s.append(Unicode.Scalar(Self.pool.randomElement(using: &rng)!)!)
            }
        }
        return String(s)
    }
}

/// A small deterministic generator, so that a failure reproduces.
