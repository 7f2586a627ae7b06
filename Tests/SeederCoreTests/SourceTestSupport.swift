import CZlib
import Foundation
import XCTest
@testable import SeederCore

/// Everything one read of a source delivered, or the error it ended with.
struct SourceReadResult {
    var chunks: [RecordChunk] = []
    var error: Error?

    var records: [Record] { chunks.flatMap(\.records) }
    var normalRecords: [Record] { chunks.filter { !$0.isReplay }.flatMap(\.records) }
    var replayRecords: [Record] { chunks.filter(\.isReplay).flatMap(\.records) }
    var skipped: [SkipReason: Int] {
        chunks.reduce(into: [:]) { total, chunk in chunk.skipped.forEach { total[$0.key, default: 0] += $0.value } }
    }
    var failures: [RecordFailure] { chunks.flatMap(\.failures) }
    var itemsDelivered: Int64 { chunks.last?.checkpoint.items ?? 0 }
    var sourceError: SourceError? { error as? SourceError }
}

/// Reads `source` whole, keeping every chunk and the error it ended with.
func readSource(_ source: some RecordSource, resumeAfter: Int64 = 0, chunkSize: Int = 7) -> SourceReadResult {
    var result = SourceReadResult()
    do {
        try source.read(resumeAfter: SourceCheckpoint(items: resumeAfter), chunkSize: chunkSize) { result.chunks.append($0) }
    } catch {
        result.error = error
    }
    return result
}

/// A bundled sample under datasets/ (the package root is three levels up from this file).
func datasetPath(_ relative: String, file: StaticString = #filePath) -> String {
    let path = URL(fileURLWithPath: "\(file)").resolvingSymlinksInPath().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("datasets").appendingPathComponent(relative).path
    XCTAssertTrue(FileManager.default.fileExists(atPath: path), "the bundled sample is missing: \(path)")
    return path
}

/// A fresh folder for one test, removed after it.
func sourceScratchDirectory(_ test: XCTestCase) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("source-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Writes `bytes` to `name` in a fresh scratch folder and returns its path.
func writeScratchFile(_ test: XCTestCase, _ name: String, _ bytes: [UInt8]) throws -> String {
    let path = (try sourceScratchDirectory(test) as NSString).appendingPathComponent(name)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

/// Writes `text` (UTF-8) to `name` in a fresh scratch folder and returns its path.
func writeScratchFile(_ test: XCTestCase, _ name: String, _ text: String) throws -> String {
    try writeScratchFile(test, name, Array(text.utf8))
}

/// `bytes` gzip-compressed (one member), for testing compressed inputs.
func gzipBytes(_ bytes: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    // windowBits 15 + 16: a gzip header and trailer.
    precondition(deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    defer { deflateEnd(&stream) }
    var input = bytes
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
    let written = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer -> Int in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = UInt32(outBuffer.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return outBuffer.count - Int(stream.avail_out)
        }
    }
    return Array(output.prefix(written))
}

/// A ByteReader over bytes in memory that hands out at most `step` bytes per read (to hit buffer boundaries).
final class ChunkedMemoryReader: ByteReader {
    private let bytes: [UInt8]
    private let step: Int
    private var offset = 0
    var compressedBytesRead: Int64 { Int64(offset) }
    var bytesProduced: Int64 { Int64(offset) }

    init(_ bytes: [UInt8], step: Int = .max) {
        self.bytes = bytes
        self.step = max(1, step)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, step, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { raw in
            buffer.baseAddress!.copyMemory(from: raw.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}
