/// How one invocation of `seeder run` behaves (as opposed to what the job is).
public struct RunOptions: Sendable {
    /// Stop cleanly at the first checkpoint at or after this many input items in this invocation;
    /// the run is left `paused` and the next invocation resumes it.
    public var limit: Int64?
    /// Abandon an unfinished run of this job and model and start a new one.
    public var restart: Bool
    /// Called after every committed chunk, with the run as committed (for progress; keep it cheap).
    public var onCheckpoint: (@Sendable (RunRecord) -> Void)?

    public init(limit: Int64? = nil, restart: Bool = false, onCheckpoint: (@Sendable (RunRecord) -> Void)? = nil) {
        self.limit = limit
        self.restart = restart
        self.onCheckpoint = onCheckpoint
    }
}
