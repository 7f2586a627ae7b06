/// Cuts a source's stream of per-item outcomes (a record, or a skip with its reason) into ``RecordChunk``s
/// with the semantics ``RecordSource`` promises.
///
/// - A chunk closes when it holds `chunkSize` records; skips do not count toward the size but travel in the
///   chunk that covers them. So that a long run of skipped items still moves the checkpoint forward, a chunk
///   also closes after covering `maxItemsPerChunk` items, records or not.
/// - Each chunk's `checkpoint.items` is the number of items consumed through its last item.
/// - Items with an ordinal below `replayThrough` form replay chunks (`isReplay`, records only, no skip counts,
///   no failures); the last replay chunk ends exactly at `replayThrough`, whatever its size.
///
/// Closed chunks wait in a queue (`takeReady()`): a C parser's callbacks can add items, and the source hands
/// the chunks to `deliver` once control is back in Swift, where a throw can propagate.
struct RecordChunkBuilder {
    let chunkSize: Int
    let replayThrough: Int64
    let maxItemsPerChunk: Int64
    /// Items consumed so far (records and skips).
    private(set) var itemsConsumed: Int64 = 0
    /// Compressed input bytes read so far; stamped on each chunk as it closes.
    var inputBytesRead: Int64 = 0

    private var records: [Record] = []
    private var skipped: [SkipReason: Int] = [:]
    private var failures: [RecordFailure] = []
    private var itemsInChunk: Int64 = 0
    private var ready: [RecordChunk] = []

    /// Where a source that seeks stands (see ``SourceCheckpoint/stream``): set before each item, stamped on chunks.
    var streamPosition: (offset: Int64, items: Int64)?

    /// - Parameter startingAt: items already consumed before the first one given here (a source that resumed by
    ///   seeking rather than replaying).
    init(chunkSize: Int, replayThrough: Int64, maxItemsPerChunk: Int64? = nil, startingAt: Int64 = 0) {
        self.chunkSize = max(1, chunkSize)
        self.itemsConsumed = max(0, startingAt)
        self.replayThrough = max(0, replayThrough)
        self.maxItemsPerChunk = maxItemsPerChunk ?? Int64(max(4 * self.chunkSize, 4096))
        records.reserveCapacity(min(self.chunkSize, 65_536))
    }

    /// Whether the next item is replayed (at or before the resume point).
    var nextIsReplay: Bool { itemsConsumed < replayThrough }

    /// Adds the record made from the next item.
    mutating func add(_ record: Record) {
        records.append(record)
        itemConsumed(recordsFull: records.count >= chunkSize)
    }

    /// Adds the records made from the next item when one item yields several (a dictionary entry's senses, a page's
    /// sections). The chunk closes only between items, so a resume never starts inside one.
    mutating func add(_ itemRecords: [Record]) {
        records.append(contentsOf: itemRecords)
        itemConsumed(recordsFull: records.count >= chunkSize)
    }

    /// Counts a skipped part of the next item (a sense without a gloss, a section with no text) without consuming
    /// the item: call it before the item's `add` or `skip`. `detail` is only evaluated for failures outside replay.
    mutating func skipPart(_ reason: SkipReason, ordinal: Int64, recordID: @autoclosure () -> String,
                           detail: @autoclosure () -> String) {
        guard !nextIsReplay else { return }
        skipped[reason, default: 0] += 1
        if reason.isFailure {
            failures.append(RecordFailure(ordinal: ordinal, recordID: recordID(), reason: reason, detail: detail()))
        }
    }

    /// Adds the skip of the next item. `detail` is only evaluated for failures outside replay.
    mutating func skip(_ reason: SkipReason, ordinal: Int64, recordID: @autoclosure () -> String,
                       detail: @autoclosure () -> String) {
        if !nextIsReplay {
            skipped[reason, default: 0] += 1
            if reason.isFailure {
                failures.append(RecordFailure(ordinal: ordinal, recordID: recordID(), reason: reason, detail: detail()))
            }
        }
        itemConsumed(recordsFull: false)
    }

    /// Consumes `count` items lost together (the pages of a damaged stream), counted under `reason`, with one
    /// failure recorded for all of them.
    mutating func skipItems(_ count: Int64, reason: SkipReason, failure: RecordFailure) {
        guard count > 0 else { return }
        if !nextIsReplay {
            skipped[reason, default: 0] += Int(count)
            failures.append(failure)
        }
        itemsConsumed += count - 1
        itemsInChunk += count - 1
        itemConsumed(recordsFull: false)
    }

    private mutating func itemConsumed(recordsFull: Bool) {
        let replay = nextIsReplay
        itemsConsumed += 1
        itemsInChunk += 1
        if recordsFull || itemsInChunk >= maxItemsPerChunk || (replay && itemsConsumed == replayThrough) {
            close(replay: replay)
        }
    }

    private mutating func close(replay: Bool) {
        ready.append(RecordChunk(records: records, skipped: skipped, failures: failures,
                                 checkpoint: SourceCheckpoint(items: itemsConsumed, stream: streamPosition?.offset,
                                                              streamItems: streamPosition?.items),
                                 isReplay: replay, inputBytesRead: inputBytesRead))
        records.removeAll(keepingCapacity: true)
        skipped.removeAll(keepingCapacity: true)
        failures.removeAll(keepingCapacity: true)
        itemsInChunk = 0
    }

    /// Closes the open chunk if it covers any item (at the end of the input, or before reporting an error so that
    /// every complete item is delivered first).
    mutating func closeOpenChunk() {
        if itemsInChunk > 0 {
            close(replay: itemsConsumed <= replayThrough)
        }
    }

    /// The closed chunks, in order, emptying the queue.
    mutating func takeReady() -> [RecordChunk] {
        guard !ready.isEmpty else { return [] }
        let chunks = ready
        ready.removeAll(keepingCapacity: true)
        return chunks
    }
}
