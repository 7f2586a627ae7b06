import Foundation

/// One worker's part of a job when N workers seed it together (`--partition i/N`).
///
/// Each part is its own run: its own checkpoint, counters and run lock, so the workers never wait on each other and
/// any of them can be killed and resumed alone. The parts are disjoint and cover everything:
/// - a multistream Wikipedia dump read with its index is split by bzip2 stream (stream k belongs to part k mod N),
///   so each worker decompresses only its own streams;
/// - any other input is read whole by every worker, and a text belongs to the part its key falls in. Equal texts
///   have equal keys, so a text is embedded by one worker only, and dedup across the parts is exact.
public struct Partition: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// This worker's part, 0-based.
    public let index: Int
    /// How many parts the job is split into.
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw PartitionError("the number of partitions must be at least 1, not \(count)") }
        guard index >= 0 && index < count else {
            throw PartitionError("partition \(index) is outside 0…\(count - 1) (parts are numbered from 0)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `i/N`, e.g. `2/4`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw PartitionError("'\(text)' is not a partition: write i/N, e.g. 0/4 for the first of four parts")
        }
        try self.init(index: index, count: count)
    }

    /// Part `JOB_COMPLETION_INDEX` of `count`: what a Kubernetes Indexed Job gives each of its pods.
    public init(count: Int, environment: [String: String]) throws {
        guard let value = environment["JOB_COMPLETION_INDEX"] else {
            throw PartitionError("--partitions needs JOB_COMPLETION_INDEX in the environment (Kubernetes sets it in Indexed Jobs); elsewhere pass --partition i/N")
        }
        guard let index = Int(value.trimmingCharacters(in: .whitespaces)) else {
            throw PartitionError("JOB_COMPLETION_INDEX is '\(value)', not a number")
        }
        try self.init(index: index, count: count)
    }

    /// `i/N`, as written on the command line and stored with the run.
    public var description: String { "\(index)/\(count)" }

    /// Whether the text with this key is this part's. Uses the key's second word: the ring places keys by the first
    /// (ShardRing), and a part taken from the same bits would send each worker's rows to a few shards only.
    public func owns(_ key: TextHash) -> Bool {
        count == 1 || key.w1 % UInt64(count) == UInt64(index)
    }

    /// Whether the `position`-th unit (0-based: a multistream dump's stream) is this part's.
    public func owns(unit position: Int) -> Bool {
        position % count == index
    }
}

/// A partition that can't be: the message says what to write instead.
public struct PartitionError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
