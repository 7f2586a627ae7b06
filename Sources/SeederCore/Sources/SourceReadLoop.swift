#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The loop the streaming line and record sources share, with ``RecordSource``'s semantics: chunks are handed to
/// `deliver` as they close; a ``SourceError`` thrown while reading ends the read only after every complete item
/// before it was delivered; a throw from `deliver` ends it at once; a checkpoint beyond the end of the input is
/// an error (the input changed since the run started).
enum SourceReadLoop {
    /// Runs `next`, which reads one item into the builder (a record, records, or a skip, with `inputBytesRead`
    /// stamped) and returns false once the input is exhausted. `itemNoun` names items in errors ("line", "synset").
    static func run(path: String, itemNoun: String, resumeAfter: SourceCheckpoint, chunkSize: Int,
                    deliver: (RecordChunk) throws -> Void,
                    next: (inout RecordChunkBuilder) throws -> Bool) throws {
        var builder = RecordChunkBuilder(chunkSize: chunkSize, replayThrough: resumeAfter.items)
        var failure: SourceError?
        while true {
            let more: Bool
            do {
                more = try next(&builder)
            } catch let error as SourceError {
                failure = error
                break
            }
            for chunk in builder.takeReady() {
                try deliver(chunk)
            }
            if !more { break }
        }
        builder.closeOpenChunk()
        for chunk in builder.takeReady() {
            try deliver(chunk)
        }
        if let failure { throw failure }
        let items = builder.itemsConsumed
        if items < resumeAfter.items {
            throw SourceError(.wrongFormat, file: path, position: "after \(itemNoun) #\(items)",
                              message: "the checkpoint is at \(itemNoun) \(resumeAfter.items), but the input holds only \(items) \(itemNoun)s",
                              hint: "the file changed since the run started; start a new run for this file")
        }
    }

    /// The error for a file that holds no data once decompressed (a zero-byte file fails earlier, in ``InputFile``).
    static func noData(path: String) -> SourceError {
        SourceError(.empty, file: path, message: "the file holds no data (it decompresses to nothing, or only a byte-order mark)",
                    hint: "the download may have failed; fetch the file again")
    }

    /// The size of the regular file at `path`, or nil.
    static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int64(info.st_size)
    }
}
