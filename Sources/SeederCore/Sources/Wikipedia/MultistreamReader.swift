import Foundation

/// Reads a multistream dump with its index: the byte range of each bzip2 stream is decompressed and parsed on a
/// worker thread (``OrderedWorkers``), and the pages' outcomes are delivered in dump order.
///
/// The ranges are: the header (from byte 0 to the first indexed stream: the root and `<siteinfo>`, read first on
/// this thread, since every page reader needs the namespaces), then one per indexed stream; the last one runs to the
/// end of the file and also holds the footer. Each chunk's checkpoint names the stream of its last page and how many
/// of that stream's pages were consumed; a resume finds that stream with the index and starts there.
///
/// A damaged stream does not stop the read: its pages that could be read are delivered, the rest are counted as
/// `corrupt_stream` (as many as the index lists) with one failure naming the stream's offset and the damage.
struct MultistreamReader {
    let path: String
    let indexPath: String
    let index: MultistreamIndex
    let options: WikipediaPagesSource.Options
    /// Read only this part's streams (stream k is part k mod N's); the header's pages, if any, are part 0's.
    var partition: Partition? = nil

    /// One byte range and what came out of it.
    struct RangeResult: Sendable {
        var outcomes: [PageOutcome] = []
        var error: SourceError?
        /// The range does not start a stream: the index does not describe this dump.
        var indexMismatch: SourceError?
        var site: SiteInfo?
    }

    func read(resumeAfter: SourceCheckpoint, chunkSize: Int, deliver: (RecordChunk) throws -> Void) throws {
        let file = try SharedFile(path: path)
        guard let first = index.offsets.first, first <= file.size, index.offsets.last! < file.size else {
            throw SourceError(.wrongFormat, file: indexPath, position: "line 1",
                              message: "the index points past the end of \(path) (\(file.size) bytes)",
                              hint: "the index belongs to another dump; use the index published with this dump, or set source.index = \"none\"")
        }
        let options = self.options
        let path = self.path

        // The header range: the root, the siteinfo, and (in dumps that are not Wikimedia's) maybe pages.
        var headerReader = WikipediaPageReader(site: .fallback, extent: options.extent, minChars: options.minChars, maxChars: options.maxChars)
        var header = Self.decode(file: file, range: 0..<first, fragmentStart: false, reader: &headerReader, options: options)
        if let error = header.error {
            throw SourceError(error.kind, file: path, position: error.position,
                              message: "the dump's first stream (its header, before byte \(first)) cannot be read: \(error.message)",
                              hint: error.hint)
        }
        let site = header.site ?? .fallback

        // Ranges: 0 = header, then the indexed streams this read takes (all of them, or the partition's). Positions
        // (`items`) count the pages of these ranges only, so a partition's checkpoints are its own.
        let ownsHeader = partition.map { $0.index == 0 } ?? true
        if !ownsHeader { header.outcomes = [] }
        var starts: [Int64] = [0]
        var bounds: [Range<Int64>] = [0..<first]
        var expected: [Int64] = [Int64(header.outcomes.count)]
        for (k, offset) in index.offsets.enumerated() where partition?.owns(unit: k) ?? true {
            starts.append(offset)
            bounds.append(offset..<(k + 1 < index.offsets.count ? index.offsets[k + 1] : file.size))
            expected.append(Int64(index.pageCounts[k]))
        }
        func range(_ i: Int) -> Range<Int64> { bounds[i] }

        // Where to start: the stream of the checkpoint, found by counting pages through the index.
        var firstRange = 0
        var skipInFirst: Int64 = 0
        if resumeAfter.items > 0 {
            var before: Int64 = 0
            while firstRange < starts.count && before + expected[firstRange] <= resumeAfter.items {
                before += expected[firstRange]
                firstRange += 1
            }
            skipInFirst = resumeAfter.items - before
            if firstRange == starts.count && skipInFirst > 0 || firstRange > starts.count {
                throw SourceError(.wrongFormat, file: path, position: "page \(resumeAfter.items)",
                                  message: "the checkpoint is at page \(resumeAfter.items), but the index lists only \(before) pages",
                                  hint: "the dump or its index changed since the run started; start a new run for this file")
            }
            if let stream = resumeAfter.stream, let streamItems = resumeAfter.streamItems {
                // The checkpoint's own stream must be where the index says its page is.
                let atBoundary = skipInFirst == 0 && firstRange > 0 && starts[firstRange - 1] == stream && streamItems == expected[firstRange - 1]
                let inside = firstRange < starts.count && starts[firstRange] == stream && streamItems == skipInFirst
                guard atBoundary || inside else {
                    throw SourceError(.wrongFormat, file: path, position: "byte \(stream)",
                                      message: "the checkpoint (page \(resumeAfter.items), stream at byte \(stream)) does not match the index \(indexPath)",
                                      hint: "the dump or its index changed since the run started; start a new run for this file")
                }
            }
        }

        var builder = RecordChunkBuilder(chunkSize: chunkSize, replayThrough: 0, startingAt: resumeAfter.items)
        func take(_ result: RangeResult, range i: Int, skipping: Int64) throws {
            if let mismatch = result.indexMismatch { throw mismatch }
            let start = starts[i]
            var consumed = skipping
            for outcome in result.outcomes.dropFirst(Int(skipping)) {
                consumed += 1
                builder.streamPosition = (start, consumed)
                WikipediaPagesSource.add(outcome, ordinal: builder.itemsConsumed, to: &builder)
            }
            let found = Int64(result.outcomes.count)
            if let error = result.error {
                let lost = max(0, expected[i] - max(found, skipping))
                builder.streamPosition = (start, expected[i])
                builder.skipItems(lost, reason: .corruptStream, failure: RecordFailure(
                    ordinal: builder.itemsConsumed, recordID: "stream at byte \(start)", reason: .corruptStream,
                    detail: "\(error.description); \(lost) of its \(expected[i]) pages lost, \(found) read"))
            } else if found != expected[i] && i > 0 {
                throw SourceError(.wrongFormat, file: path, position: "byte \(start)",
                                  message: "the stream at byte \(start) holds \(found) pages, but the index \(indexPath) lists \(expected[i])",
                                  hint: "the index belongs to another dump; use the index published with this dump, or set source.index = \"none\"")
            }
            builder.inputBytesRead = range(i).upperBound
            for chunk in builder.takeReady() { try deliver(chunk) }
        }

        if firstRange == 0 {
            try take(header, range: 0, skipping: skipInFirst)
            firstRange = 1
            skipInFirst = 0
        }
        let count = starts.count - firstRange
        guard count > 0 else {
            builder.closeOpenChunk()
            for chunk in builder.takeReady() { try deliver(chunk) }
            return
        }
        let threads = max(1, options.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let baseRange = firstRange
        let rangeBounds = bounds
        let workers = OrderedWorkers<RangeResult>(
            count: count, threads: threads, window: 16 * threads, name: "seeder-bunzip",
            makeState: { WikipediaPageReader(site: site, extent: options.extent, minChars: options.minChars, maxChars: options.maxChars) },
            work: { reader, job in
                return Self.decode(file: file, range: rangeBounds[baseRange + job], fragmentStart: true, reader: &reader, options: options)
            })
        defer { workers.cancel() }
        var i = firstRange
        while let result = workers.next() {
            try take(result, range: i, skipping: i == firstRange ? skipInFirst : 0)
            i += 1
        }
        builder.closeOpenChunk()
        for chunk in builder.takeReady() { try deliver(chunk) }
    }

    /// Whether `bytes` (10) start a bzip2 stream: "BZh", the block size, then a block's or the end's magic number.
    static func startsStream(_ bytes: [UInt8]) -> Bool {
        let block: [UInt8] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59], end: [UInt8] = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]
        return bytes.count >= 10 && bytes[0] == 0x42 && bytes[1] == 0x5A && bytes[2] == 0x68
            && (0x31...0x39).contains(bytes[3]) && (Array(bytes[4..<10]) == block || Array(bytes[4..<10]) == end)
    }

    /// Decompresses and parses one byte range: every page that could be read, and the error that stopped it.
    static func decode(file: SharedFile, range: Range<Int64>, fragmentStart: Bool, reader: inout WikipediaPageReader,
                       options: WikipediaPagesSource.Options) -> RangeResult {
        var result = RangeResult()
        let start = range.lowerBound
        var scanner = MediaWikiScanner(path: file.path, maxPageBytes: options.maxPageBytes, fragment: fragmentStart,
                                       describePosition: { "uncompressed byte \($0) of the stream at byte \(start)" })
        scanner.isFragmentEnd = true
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { buffer.deallocate() }
        do {
            let source = FileRangeByteReader(file: file, range: range)
            if fragmentStart {
                // A range must start a bzip2 stream: anything else means the index is not this dump's, which is not
                // a damaged stream to skip but a wrong input to refuse.
                var magic = [UInt8](repeating: 0, count: 10)
                let got = try magic.withUnsafeMutableBytes { try source.readFully(into: $0) }
                guard got == 10, Self.startsStream(magic) else {
                    result.indexMismatch = SourceError(
                        .wrongFormat, file: file.path, position: "byte \(start)",
                        message: "the index says a bzip2 stream starts at byte \(start), but none does",
                        hint: "the index belongs to another dump; use the index published with this dump, or set source.index = \"none\"")
                    return result
                }
                source.rewind(to: start)
            }
            let bzip2 = try Bzip2ByteReader(source: source, path: file.path)
            while true {
                let count = try bzip2.read(into: buffer)
                if count == 0 { break }
                try scanner.feed(UnsafeRawBufferPointer(rebasing: buffer[..<count])) { event in
                    switch event {
                    case .siteInfo(let site):
                        result.site = site
                        reader = WikipediaPageReader(site: site, extent: options.extent, minChars: options.minChars, maxChars: options.maxChars)
                    case .page(let bytes):
                        let n = result.outcomes.count
                        result.outcomes.append(reader.read(bytes, position: "page #\(n + 1) of the stream at byte \(start)"))
                    case .oversizedPage(let title, let bytes):
                        result.outcomes.append(WikipediaPagesSource.oversized(title: title, bytes: bytes, ordinal: Int64(result.outcomes.count), limit: options.maxPageBytes))
                    }
                }
            }
            try scanner.finish()
        } catch let error as SourceError {
            result.error = error
        } catch {
            result.error = SourceError(.io, file: file.path, position: "byte \(start)", message: "\(error)")
        }
        return result
    }
}
