import Foundation
import XCTest
@testable import SeederCore

final class JSONByteReaderTests: XCTestCase {
    private let openai = EmbeddingWireFormat(kind: .openai, model: "m")
    private let ollama = EmbeddingWireFormat(kind: .ollama, model: "m")
    private let tei = EmbeddingWireFormat(kind: .tei, model: "")

    /// The reader's Float for `text` as a whole body.
    private func readFloat(_ text: String) throws -> Float {
        try Data(text.utf8).withUnsafeBytes { raw in
            var reader = JSONByteReader(raw)
            let value = try reader.readFloat()
            try reader.finish()
            return value
        }
    }

    private func assertSameAsFloatFromString(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let expected = Float(text) else { return XCTFail("Float(\"\(text)\") is nil", file: file, line: line) }
        do {
            let value = try readFloat(text)
            XCTAssertEqual(value.bitPattern, expected.bitPattern, "\(text): \(value) vs Float(String) \(expected)", file: file, line: line)
        } catch {
            XCTFail("\(text): \(error)", file: file, line: line)
        }
    }

    // MARK: - Numbers

    func testEdgeCaseNumbersMatchFloatFromString() {
        var cases = [
            "0", "-0", "0.0", "-0.0", "0e0", "0E+5", "-0e-5", "1", "-1", "1e-5", "1E5", "1e+5", "123456789", "0.1", "0.2", "0.3",
            "3.4028235e38", "3.40282346638528859811704183484516925440e38", "3.4028235677973366e38", "3.4028236e38", "-3.4028236e38",
            "3.40282357e38", "1e38", "1e39", "-1e39", "1e308", "1e309", "1e400", "1e-400", "-1e-400",
            "1.17549435e-38", "1.1754942e-38", "1.17549421e-38", "1e-38", "1e-40", "1.4e-45", "1.401298464324817e-45",
            "7.006492321624085e-46", "7.006492321624086e-46", "7e-46", "1e-46", "-1e-46", "2.1e-45", "2.8e-45",
            "16777216", "16777217", "16777218", "16777219", "33554433", "33554435", "9007199254740993", "9007199254740992",
            "18446744073709551615", "18446744073709551616", "99999999999999999999", "1234567890123456789012345678901234567890",
            "0.1000000000000000055511151231257827021181583404541015625", "0.00000000000000000000000000000000000000000000000001",
            "1e22", "1e23", "1e-22", "1e-23", "4.7019774e-38", "0.000123", "-0.0069292834", "0.012345678", "12345678901234567e-17",
            "1.00000005960464477539062500", "1.00000005960464477539062501", "1.00000005960464477539062499",
            "1.0000000596046448", "1.00000017881393432617187500", "0.5e-45", "1e0000000000000000000000000001",
        ]
        // Exact decimal expansions of midpoints between neighbouring floats (glibc prints them exactly), and just
        // either side: where double rounding would go wrong.
        var generator = SplitMix64(seed: 7)
        for _ in 0..<300 {
            let bits = UInt32(truncatingIfNeeded: generator.next()) & 0x7FFF_FFFF
            let low = Float(bitPattern: bits)
            guard low.isFinite, low.nextUp.isFinite else { continue }
            let middle = (Double(low) + Double(low.nextUp)) / 2
            let exact = String(format: "%.60e", middle)
            cases.append(exact)
            cases.append(String(format: "%.17e", middle))
            cases.append(String(format: "%.9e", middle))
            cases.append(String(format: "%.60e", middle.nextUp))
            cases.append(String(format: "%.60e", middle.nextDown))
        }
        for text in cases { assertSameAsFloatFromString(text) }
    }

    func testRandomDecimalsMatchFloatFromString() {
        var generator = SplitMix64(seed: 2026)
        func digits(_ count: Int) -> String {
            String((0..<count).map { _ in Character(Unicode.Scalar(UInt8(ascii: "0") + UInt8(generator.next() % 10))) })
        }
        for _ in 0..<40_000 {
            var text = generator.next() % 3 == 0 ? "-" : ""
            let integerDigits = Int(generator.next() % 12)
            if integerDigits == 0 {
                text += "0"
            } else {
                text += String(Character(Unicode.Scalar(UInt8(ascii: "1") + UInt8(generator.next() % 9)))) + digits(integerDigits - 1)
            }
            if generator.next() % 4 != 0 { text += "." + digits(1 + Int(generator.next() % 24)) }
            if generator.next() % 3 == 0 {
                text += (generator.next() % 2 == 0 ? "e" : "E") + ["", "+", "-"][Int(generator.next() % 3)] + String(generator.next() % 50)
            }
            assertSameAsFloatFromString(text)
        }
        // Floats printed the ways servers print them, read back.
        for _ in 0..<20_000 {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
            guard value.isFinite else { continue }
            for text in ["\(value)", String(format: "%.10g", Double(value)), String(format: "%.8e", Double(value)), "\(Double(value))"] {
                assertSameAsFloatFromString(text)
            }
        }
    }

    func testHugeNumberStrings() throws {
        let many = 100_000
        for text in ["1" + String(repeating: "0", count: many), "0." + String(repeating: "0", count: many) + "1",
                     String(repeating: "7", count: many), "0." + String(repeating: "3", count: many),
                     "1e" + String(repeating: "9", count: many), "1e-" + String(repeating: "9", count: many),
                     "-1." + String(repeating: "0", count: many) + "e" + String(repeating: "1", count: 30)] {
            let value = try readFloat(text)
            XCTAssertEqual(value.bitPattern, Float(text)?.bitPattern, String(text.prefix(30)))
        }
        // Out of range is inf, which the validator then refuses.
        let body = Data(("[[1e" + String(repeating: "9", count: 1000) + ",1]]").utf8)
        let decoded = try tei.decode(body)
        XCTAssertEqual(decoded.vectors.first?.first, .infinity)
        guard case .failure(let problem) = EmbeddingResponseValidator.validate(decoded.vectors, expectedCount: 1, expectedDimensions: 2) else {
            return XCTFail("inf must not validate")
        }
        XCTAssertTrue(problem.problem.contains("non-finite"), problem.problem)
    }

    func testNonJSONNumbersAreRefused() {
        let cases: [(String, String)] = [
            ("NaN", "expected a number"), ("nan", "expected a number"), ("Infinity", "expected a number"),
            ("-Infinity", "expected a digit after '-'"), ("01", "leading zero"), ("-01", "leading zero"), ("00", "leading zero"),
            ("1.", "expected a digit after '.'"), (".5", "expected a number"), ("+1", "expected a number"), ("-", "expected a digit after '-'"),
            ("1e", "expected a digit in the exponent"), ("1e+", "expected a digit in the exponent"), ("1.e3", "expected a digit after '.'"),
            ("--1", "expected a digit after '-'"), ("0x10", "expected ',' or ']'"), ("1.5e3.2", "expected ',' or ']'"), ("1 2", "expected ',' or ']'"),
            ("", "expected a number"), ("1,", "expected a number"), ("true", "expected a number"), ("\"1\"", "expected a number"),
        ]
        for (number, expected) in cases {
            let body = "[[0.5,\(number)]]"
            XCTAssertThrowsError(try tei.decode(Data(body.utf8)), body) { error in
                XCTAssertTrue(error is WireDecodingError)
                XCTAssertTrue("\(error)".contains(expected), "\(body): \(error) should say \(expected)")
                XCTAssertTrue("\(error)".contains("[0][1]") || "\(error)".contains("[0]"), "\(body): \(error) should say where")
            }
        }
    }

    func testBase64FloatsDecodesAsFoundationDoes() {
        var generator = SplitMix64(seed: 64)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n".utf8)
        for round in 0..<20_000 {
            var bytes = (0..<Int(generator.next() % 40)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if round % 2 == 0 { bytes = Array(bytes.prefix(bytes.count / 4 * 4)) }
            var text = Array(Data(bytes).base64EncodedString().utf8)
            // Half spoiled: a byte replaced, removed or added.
            if round % 2 == 1, !text.isEmpty {
                let at = Int(generator.next() % UInt64(text.count))
                switch generator.next() % 3 {
                case 0: text[at] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                case 1: text.remove(at: at)
                default: text.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: at)
                }
            }
            let string = String(decoding: text, as: UTF8.self)
            let fast = text.withUnsafeBufferPointer { Base64Floats.decode($0) }
            let reference = EmbeddingWireFormat.foundationFloats(base64: string)
            if let fast {
                // Whatever it accepts, Foundation accepts and reads the same; it refuses some quirks Foundation takes ("AA=A").
                XCTAssertEqual(fast.map(\.bitPattern), reference?.map(\.bitPattern), string)
            } else if round % 2 == 0 {
                XCTAssertNil(reference, "valid base64 of whole floats refused: \(string)")
            }
        }
        XCTAssertEqual(EmbeddingWireFormat.floats(base64: "AACAPwAAAMA="), [1, -2])
        XCTAssertEqual(EmbeddingWireFormat.floats(base64: "AACAPwAAAMAAAAAA"), [1, -2, 0])
        XCTAssertEqual(EmbeddingWireFormat.floats(base64: "AACAPw=="), [1])
        XCTAssertNil(EmbeddingWireFormat.floats(base64: "AACA"), "3 bytes are not whole floats")
        XCTAssertNil(EmbeddingWireFormat.floats(base64: "AACAPwAAAMA"), "unpadded")
        XCTAssertEqual(EmbeddingWireFormat.floats(base64: ""), [])
        XCTAssertNil(EmbeddingWireFormat.floats(base64: "AA=AAAAA"), "padding only at the end")
    }

    // MARK: - Structure

    func testErrorsSayWhereAndAtWhichByte() {
        let cases: [(EmbeddingWireFormat, String, String)] = [
            (tei, "[[1,2],[3,NaN]]", "[1][1]: expected a number, found 'N' at byte 10"),
            (openai, #"{"data":[{"index":0,"embedding":[1]},{"index":1,"embedding":[1,2,x]}]}"#, "data[1].embedding[2]: expected a number, found 'x' at byte 65"),
            (openai, #"{"data":[{"index":0,"embedding":[1],"index":0}]}"#, "data[0].index: the key appears twice"),
            (openai, #"{"data":[],"data":[]}"#, "data: the key appears twice"),
            (openai, #"{"data":[{"index":0,"embedding":[1]}],}"#, "the top level: expected a key"),
            (openai, #"{"data":[{"index":0,"embedding":[1,]}]}"#, "data[0].embedding[1]: expected a number, found ']'"),
            (openai, #"{"data":[{"index":1.5,"embedding":[1]}]}"#, "data[0].index: expected an integer"),
            (openai, #"{"data":[{"index":0,"embedding":{"a":1}}]}"#, "data[0].embedding: expected an array of numbers or a base64 string"),
            (openai, #"{"data":[{"index":0,"embedding":[1]}]} x"#, "expected the end of the body"),
            (openai, #"{"data":[{"index":0,"embedding":[1]}], "object": "li"#, "object: unterminated string"),
            (openai, #"{"data":[{"index":0,"embedding":[1]}], "object": "a\qb"}"#, "object: invalid escape"),
            (openai, "{\"data\":[], \"object\": \"a\u{1}b\"}", "control character"),
            (openai, #"{"data":[], "object": "\ud800x"}"#, "unpaired surrogate"),
            (openai, #"{"data":[{"index":0,"embedding":"AAAAAA=="}]"#, "expected ',' or '}' after a member, found the end of the body"),
            (ollama, #"{"embeddings":[[1]],"prompt_eval_count":-1e3}"#, "prompt_eval_count: expected an integer"),
            (ollama, #"{"embeddings":[[1]],"prompt_eval_count":99999999999999999999}"#, "prompt_eval_count: integer out of range"),
            (ollama, #"{"embeddings":null}"#, "embeddings: expected an array, found 'n'"),
            (tei, "[[1]]]", "expected the end of the body"),
            (tei, "[[1] [2]]", "expected ',' or ']' after an element"),
        ]
        for (format, body, expected) in cases {
            XCTAssertThrowsError(try format.decode(Data(body.utf8)), body) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(body): \(error) should say \(expected)")
                XCTAssertTrue("\(error)".contains("body starts"), "\(error) quotes the body")
            }
        }
        var invalidUTF8 = Data(#"{"data":[], "object": ""#.utf8)
        invalidUTF8.append(contentsOf: [0xC3, 0x28, UInt8(ascii: "\""), UInt8(ascii: "}")])
        XCTAssertThrowsError(try openai.decode(invalidUTF8)) { XCTAssertTrue("\($0)".contains("invalid UTF-8"), "\($0)") }
    }

    func testDeepNestingIsRefusedWithoutOverflowingTheStack() {
        let deep = String(repeating: "[", count: 1_000_000)
        for (format, body) in [(openai, #"{"x":"# + deep), (ollama, #"{"embeddings":[[1]],"extra":{"a":"# + deep), (tei, deep),
                               (openai, #"{"x":"# + String(repeating: #"{"a":"#, count: 1_000_000))] {
            XCTAssertThrowsError(try format.decode(Data(body.utf8))) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("nested deeper than \(JSONByteReader.maxDepth)") || text.contains("expected a number"), text)
            }
        }
        // Just under the limit is fine.
        let nested = String(repeating: "[", count: JSONByteReader.maxDepth - 2) + String(repeating: "]", count: JSONByteReader.maxDepth - 2)
        XCTAssertEqual(try ollama.decode(Data(#"{"x":\#(nested),"embeddings":[[1]]}"#.utf8)).vectors, [[1]])
    }

    func testUnknownKeysEscapesAndWhitespaceAnywhere() throws {
        let floats: [Float] = [1.5, -2, 0.25]
        var bytes = Data()
        for value in floats { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        // Escaped slashes, as some JSON writers send them inside base64.
        let base64 = bytes.base64EncodedString().replacingOccurrences(of: "/", with: #"\/"#)
        let body = """
             \t{ "object" : "list\\"\\\\\\u00e9\\ud83d\\ude00" ,\r\n "extra": {"nested": [1, -2.5e-3, true, false, null, {"deep": [[], {}]}], "s": "]}"},
              "d\\u0061ta" : [ { "index" : 1 , "embedding" : [ 3 , 4 ] , "object": "embedding" },
                { "embedding" : "\(base64)", "index" : 0 } ] , "usage" : { "total_tokens": 9, "prompt_tokens" : 7 } }\n
            """
        let decoded = try openai.decode(Data(body.utf8))
        XCTAssertEqual(decoded, WireEmbeddings(vectors: [floats, [3, 4]], tokensUsed: 7))
        XCTAssertEqual(decoded, try openai.decodeWithFoundation(Data(body.utf8)))
        XCTAssertEqual(try openai.decode(Data(#"{"data":[],"usage":null}"#.utf8)), WireEmbeddings(vectors: [], tokensUsed: nil))
        XCTAssertEqual(try openai.decode(Data(#"{"data":[],"usage":{"prompt_tokens":null}}"#.utf8)), WireEmbeddings(vectors: [], tokensUsed: nil))
        XCTAssertEqual(try ollama.decode(Data(#"{"embeddings":[],"prompt_eval_count":null}"#.utf8)), WireEmbeddings(vectors: [], tokensUsed: nil))
        XCTAssertEqual(try tei.decode(Data(" [ ] ".utf8)), WireEmbeddings(vectors: [], tokensUsed: nil))
    }

    // MARK: - Against JSONDecoder

    func testRandomValidResponsesDecodeAsJSONDecoderDoes() throws {
        var generator = SplitMix64(seed: 99)
        for round in 0..<300 {
            for format in [openai, ollama, tei] {
                let body = Data(RandomResponse.make(format.kind, &generator).utf8)
                let fast = try format.decode(body), reference = try format.decodeWithFoundation(body)
                XCTAssertEqual(fast, reference, "round \(round) \(format.kind): \(String(decoding: body.prefix(300), as: UTF8.self))")
                // Bit for bit, -0 included.
                XCTAssertEqual(fast.vectors.map { $0.map(\.bitPattern) }, reference.vectors.map { $0.map(\.bitPattern) })
            }
        }
    }

    func testMutatedBodiesThrowOrDecodeAsJSONDecoderDoes() {
        var generator = SplitMix64(seed: 1234)
        var decoded = 0, refused = 0, differences = 0
        let inserted = Array("[]{}\",:-+.eE0123456789 \\ntfu".utf8)
        for round in 0..<6_000 {
            let format = [openai, ollama, tei][round % 3]
            var body = Array(RandomResponse.make(format.kind, &generator, small: true).utf8)
            for _ in 0...(generator.next() % 3) {
                guard !body.isEmpty else { break }
                let at = Int(generator.next() % UInt64(body.count))
                switch generator.next() % 5 {
                case 0: body.removeSubrange(at...)
                case 1: body[at] = UInt8(truncatingIfNeeded: generator.next())
                case 2: body[at] ^= 1 << UInt8(generator.next() % 8)
                case 3: body.insert(inserted[Int(generator.next() % UInt64(inserted.count))], at: at)
                default: body.remove(at: at)
                }
            }
            let data = Data(body)
            do {
                let fast = try format.decode(data)
                decoded += 1
                // Whatever the reader accepts, JSONDecoder accepts and reads the same (bit for bit).
                do {
                    let reference = try format.decodeWithFoundation(data)
                    XCTAssertEqual(fast.vectors.map { $0.map(\.bitPattern) }, reference.vectors.map { $0.map(\.bitPattern) },
                                   "round \(round): \(String(decoding: data, as: UTF8.self))")
                    XCTAssertEqual(fast.tokensUsed, reference.tokensUsed)
                } catch {
                    // Two known differences, both numbers outside Double's normal range, where JSONDecoder refuses the
                    // body: beyond Float's range the reader reads ±inf (the validator refuses it), and below Double's
                    // normal range (1e-311, 1e-400) it reads what Float(String) reads (±0 or a tiny value).
                    let finite = fast.vectors.allSatisfy { $0.allSatisfy(\.isFinite) }
                    XCTAssertTrue(!finite || Self.hasNumberBelowDoubleRange(data),
                                  "round \(round): the reader accepted what JSONDecoder refuses (\(error)): \(String(decoding: data, as: UTF8.self))")
                    differences += 1
                }
            } catch {
                refused += 1
                XCTAssertFalse(error.problem.isEmpty)
            }
        }
        XCTAssertGreaterThan(decoded, 100, "some mutations stay valid")
        XCTAssertGreaterThan(refused, 1_000)
        XCTAssertLessThan(differences, 20)
    }

    /// Whether the body holds a non-zero number literal that a Double can only hold as subnormal or zero.
    private static func hasNumberBelowDoubleRange(_ body: Data) -> Bool {
        let text = String(decoding: body, as: UTF8.self)
        let pattern = try! NSRegularExpression(pattern: "[0-9.]+[eE][-+]?[0-9]+")
        return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).contains { match in
            let literal = String(text[Range(match.range, in: text)!])
            guard let value = Double(literal), literal.contains(where: { "123456789".contains($0) }) else { return false }
            return value.magnitude < Double.leastNormalMagnitude
        }
    }
}

/// Random, valid responses of each kind: numbers in many spellings, whitespace, unknown keys holding any value,
/// keys in any order, OpenAI items out of order and some in base64.
enum RandomResponse {
    static func make(_ kind: EmbeddingServerKind, _ generator: inout SplitMix64, small: Bool = false) -> String {
        let count = Int(generator.next() % (small ? 4 : 9))
        let dimensions = 1 + Int(generator.next() % (small ? 6 : 40))
        let vectors = (0..<count).map { _ in (0..<dimensions).map { _ in number(&generator) } }
        func ws() -> String { ["", "", "", " ", "\n", "\t ", "\r\n  "][Int(generator.next() % 7)] }
        func list(_ vector: [String]) -> String { "[" + ws() + vector.joined(separator: ws() + "," + ws()) + ws() + "]" }
        func object(_ members: [(String, String)]) -> String {
            var members = members
            for _ in 0..<Int(generator.next() % 3) { members.append((randomKey(&generator), junk(&generator, depth: 0))) }
            members.shuffle(using: &generator)
            return "{" + ws() + members.map { "\"\($0.0)\"" + ws() + ":" + ws() + $0.1 }.joined(separator: ws() + "," + ws()) + ws() + "}"
        }
        switch kind {
        case .openai:
            let items = vectors.enumerated().map { index, vector -> String in
                let embedding: String
                if generator.next() % 3 == 0 {
                    var bytes = Data()
                    for text in vector { withUnsafeBytes(of: Float(text)!.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
                    embedding = "\"\(bytes.base64EncodedString())\""
                } else {
                    embedding = list(vector)
                }
                return object([("index", "\(index)"), ("embedding", embedding)])
            }.shuffled(using: &generator)
            var members = [("data", "[" + ws() + items.joined(separator: "," + ws()) + ws() + "]")]
            switch generator.next() % 3 {
            case 0: members.append(("usage", object([("prompt_tokens", "\(generator.next() % 10_000)")])))
            case 1: members.append(("usage", "null"))
            default: break
            }
            return ws() + object(members) + ws()
        case .ollama:
            var members = [("embeddings", list(vectors.map(list)))]
            if generator.next() % 2 == 0 { members.append(("prompt_eval_count", "\(generator.next() % 10_000)")) }
            return object(members)
        case .tei:
            return ws() + list(vectors.map(list)) + ws()
        }
    }

    /// A JSON number within Float's range, spelled one of many ways.
    static func number(_ generator: inout SplitMix64) -> String {
        let value = Float(Double(generator.next() >> 11) / Double(1 << 53) * 2 - 1) * [1, 1e-3, 1e3, 1e-30, 1e30][Int(generator.next() % 5)]
        switch generator.next() % 7 {
        case 0: return "\(value)"
        case 1: return String(format: "%.10g", Double(value))
        case 2: return String(format: "%.6e", Double(value))
        case 3: return String(format: "%.3E", Double(value)).replacingOccurrences(of: "E+", with: "E")
        case 4: return "\(Int(max(-1e9, min(1e9, value * 100))))"
        case 5: return String(format: "%.25f", Double(value))
        default: return generator.next() % 2 == 0 ? "-0" : "0.0"
        }
    }

    static func randomKey(_ generator: inout SplitMix64) -> String {
        ["object", "model", "x", "dat", "datum", "embedding_", "index_", "meta", "\\u00e9t\\u00e9", "quote\\\"d"][Int(generator.next() % 10)]
    }

    /// Any JSON value, nested up to 3 deep.
    static func junk(_ generator: inout SplitMix64, depth: Int) -> String {
        switch generator.next() % (depth < 3 ? 8 : 6) {
        case 0: return "true"
        case 1: return "false"
        case 2: return "null"
        case 3: return number(&generator)
        case 4: return #""text with \"escapes\" \\ \/ \n \u0041 \ud83d\ude00 and ] } , :""#
        case 5: return "\"\""
        case 6: return "[" + (0..<Int(generator.next() % 3)).map { _ in junk(&generator, depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            return "{" + (0..<Int(generator.next() % 3)).map { _ in "\"\(randomKey(&generator))\":" + junk(&generator, depth: depth + 1) }.joined(separator: ",") + "}"
        }
    }
}
