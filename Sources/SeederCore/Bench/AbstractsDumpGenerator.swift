import CZlib
import Foundation

/// Writes a synthetic Wikipedia abstracts dump (`.xml.gz`) of any size from a real sample, for benchmarks and
/// the kill-and-resume script: documents cycle through the sample's (markup debris included, as in a real
/// dump), each made unique by a counter in its title and abstract, and a chosen fraction are exact repeats of
/// an earlier document (so the deduplicator has work).
public struct AbstractsDumpGenerator {
    public var sampleDocs: [String]
    public var repeatFraction: Double
    public var seed: UInt64

    /// Reads the `<doc>…</doc>` elements of a sample abstracts file.
    public init(samplePath: String, repeatFraction: Double = 0.10, seed: UInt64 = 42) throws {
        guard let text = try? String(contentsOfFile: samplePath, encoding: .utf8) else {
            throw SourceError(.missing, file: samplePath, message: "cannot read the sample abstracts file", hint: "pass --sample with the path of datasets/wikipedia/enwiki-abstract-sample.xml")
        }
        var docs: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "<doc>"), let close = rest.range(of: "</doc>", range: open.upperBound..<rest.endIndex) {
            docs.append(String(rest[open.lowerBound..<close.upperBound]))
            rest = rest[close.upperBound...]
        }
        guard !docs.isEmpty else {
            throw SourceError(.wrongFormat, file: samplePath, message: "no <doc> elements found", hint: "use an abstracts dump sample")
        }
        self.sampleDocs = docs
        self.repeatFraction = repeatFraction
        self.seed = seed
    }

    /// Writes `count` documents to a gzip file; returns how many were exact repeats.
    @discardableResult
    public func write(count: Int, to path: String) throws -> Int {
        guard let file = gzopen(path, "wb6") else {
            throw SourceError(.io, file: path, message: "cannot create the file", hint: "check the folder exists and is writable")
        }
        var closed = false
        defer { if !closed { gzclose(file) } }
        var rng = SplitMix64(seed: seed)
        var written: [Int] = []  // sample index and variant of recent unique docs, to repeat from
        var repeats = 0
        var buffer = "<feed>\n"
        func flush() throws {
            let n = buffer.utf8.count
            let wrote = buffer.withCString { gzwrite(file, $0, UInt32(n)) }
            guard wrote == Int32(n) else { throw SourceError(.io, file: path, message: "gzip write failed", hint: "check free disk space") }
            buffer.removeAll(keepingCapacity: true)
        }
        for i in 0..<count {
            let variant: Int
            if !written.isEmpty && Double(rng.next() >> 11) / Double(1 << 53) < repeatFraction {
                variant = written[Int(rng.next() % UInt64(written.count))]
                repeats += 1
            } else {
                variant = i
                if written.count < 100_000 { written.append(i) } else { written[Int(rng.next() % 100_000)] = i }
            }
            buffer += doc(variant)
            buffer += "\n"
            if buffer.utf8.count > 1 << 20 { try flush() }
        }
        buffer += "</feed>\n"
        try flush()
        closed = true
        guard gzclose(file) == Z_OK else { throw SourceError(.io, file: path, message: "gzip close failed", hint: "check free disk space") }
        return repeats
    }

    /// Document `variant`: the sample doc it cycles to, with the variant number in its title and abstract.
    func doc(_ variant: Int) -> String {
        let base = sampleDocs[variant % sampleDocs.count]
        let round = variant / sampleDocs.count
        guard round > 0 else { return base }
        var out = base
        if let r = out.range(of: "</title>") { out.replaceSubrange(r, with: " \(round)</title>") }
        if let r = out.range(of: "</abstract>") { out.replaceSubrange(r, with: " (variant \(round))</abstract>") }
        return out
    }
}
