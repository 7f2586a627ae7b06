/// Why a run stopped before the end of its input.
public struct RunStopped: Error, Sendable, CustomStringConvertible {
    public var run: RunRecord
    public var underlying: Error
    public var description: String { "run \(run.id) stopped at item \(run.checkpoint.items): \(underlying)" }
}
