/// Where a source stands: enough to resume right after the last item it delivered.
///
/// Stored as JSON in the runs table. `items` counts input items consumed (skipped ones included);
/// sources that can seek add their own fields in later versions, so decoding ignores unknown keys.
public struct SourceCheckpoint: Codable, Sendable, Equatable {
    /// Input items consumed so far (documents, pages, lines…), skipped ones included.
    public var items: Int64
    /// Uncompressed input bytes consumed when known (progress only, not used to resume).
    public var bytes: Int64?
    /// Multistream dumps read with their index: the offset of the bzip2 stream holding the last item consumed, and
    /// how many of that stream's items were consumed. A resume seeks there instead of reading the dump again.
    public var stream: Int64?
    public var streamItems: Int64?

    public init(items: Int64, bytes: Int64? = nil, stream: Int64? = nil, streamItems: Int64? = nil) {
        self.items = items
        self.bytes = bytes
        self.stream = stream
        self.streamItems = streamItems
    }

    public static let start = SourceCheckpoint(items: 0)
}

/// A batch of records handed from a source to the pipeline, with what the source skipped among them.
///
/// Sources deliver arrays, never single records: per-element async hops would cost more than the work.
public struct RecordChunk: Sendable {
    /// The records, in input order.
    public var records: [Record]
    /// Items skipped in this chunk, by reason.
    public var skipped: [SkipReason: Int]
    /// Skips worth recording with their detail (a subset of `skipped`).
    public var failures: [RecordFailure]
    /// The position right after the last item of this chunk.
    public var checkpoint: SourceCheckpoint
    /// True for items at or before the resume point: they were processed by an earlier attempt of the run
    /// and are delivered again only so that the in-run dedup set is rebuilt exactly; nothing is counted or embedded.
    public var isReplay: Bool
    /// Bytes of the input file (compressed, as on disk) consumed so far, for progress and ETA.
    public var inputBytesRead: Int64

    public init(records: [Record], skipped: [SkipReason: Int] = [:], failures: [RecordFailure] = [],
                checkpoint: SourceCheckpoint, isReplay: Bool = false, inputBytesRead: Int64 = 0) {
        self.records = records
        self.skipped = skipped
        self.failures = failures
        self.checkpoint = checkpoint
        self.isReplay = isReplay
        self.inputBytesRead = inputBytesRead
    }
}

/// A stream of records from one input.
///
/// `read` is blocking (C parsers, file I/O) and is run by the pipeline on a thread of its own, never on
/// Swift's cooperative pool. It delivers chunks to `deliver` in input order, and must stop and rethrow as soon
/// as `deliver` throws (the pipeline throws to cancel).
public protocol RecordSource: Sendable {
    /// The source kind as written in job files (`wikipedia-abstracts`, …), stored in each seeded text's row.
    var kind: String { get }
    /// The input's size on disk in bytes, when known (for ETA).
    var inputSize: Int64? { get }
    /// Streams the input. Items up to `resumeAfter.items` are delivered as replay chunks (exactly ending at that
    /// item), then the rest as normal chunks of at most `chunkSize` records each.
    func read(resumeAfter: SourceCheckpoint, chunkSize: Int, deliver: (RecordChunk) throws -> Void) throws
}

/// A source that can read one part of its input alone (``Partition``): a multistream dump, by stream. Other sources
/// are read whole by every worker, and the pipeline keeps the texts whose key is in its part.
public protocol PartitionableSource: RecordSource {
    /// This source reading only `partition`'s units, or nil when this input can't be split (no index).
    func reading(_ partition: Partition) -> RecordSource?
}
