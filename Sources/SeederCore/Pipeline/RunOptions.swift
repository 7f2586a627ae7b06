/// How one invocation of `seeder run` behaves (as opposed to what the job is).
public struct RunOptions: Sendable {
    /// Stop cleanly at the first checkpoint at or after this many input items in this invocation;
    /// the run is left `paused` and the next invocation resumes it.
    public var maxRecords: Int64?
    /// Stop cleanly once this much time has passed since the run started (the work in flight is finished within
    /// `stopGrace`); the run is left `paused`.
    public var maxDuration: Duration?
    /// Stops asked for from outside (signal handlers). Nil: only the limits above stop the run early.
    public var stop: RunStop?
    /// How long the work in flight may take to finish after a stop before it is abandoned (``RunStop``).
    public var stopGrace: Duration
    /// Abandon an unfinished run of this job and model and start a new one.
    public var restart: Bool
    /// Called after every committed chunk, with the run as committed, and once more with its final state when it
    /// ends done or paused (for progress and metrics; keep it cheap).
    public var onCheckpoint: (@Sendable (RunRecord) -> Void)?

    public init(maxRecords: Int64? = nil, maxDuration: Duration? = nil, stop: RunStop? = nil, stopGrace: Duration = .seconds(30),
                restart: Bool = false, onCheckpoint: (@Sendable (RunRecord) -> Void)? = nil) {
        self.maxRecords = maxRecords
        self.maxDuration = maxDuration
        self.stop = stop
        self.stopGrace = stopGrace
        self.restart = restart
        self.onCheckpoint = onCheckpoint
    }
}
