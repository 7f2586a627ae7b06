/// The exit statuses of `seeder`, documented in docs/exit-codes.md. Numbers follow sysexits(3) where one fits,
/// so that cron mail and systemd logs name them.
public enum SeederExitCode: Int32, Sendable, CaseIterable {
    /// Done: the run read its whole input (or the command succeeded).
    case ok = 0
    /// An unexpected internal error; please report it.
    case internalError = 1
    /// Stopped cleanly at `--max-records` or `--max-duration`; run again to continue.
    case budgetReached = 3
    /// Wrong command-line usage (argument parser).
    case usage = 64
    /// The input is corrupt beyond skipping (truncated gzip or XML, not the expected format).
    case dataError = 65
    /// The input file is missing, empty or unreadable.
    case noInput = 66
    /// The embedding provider is unavailable or misbehaves.
    case providerUnavailable = 69
    /// A shard can't be created or written (path, permissions, disk full).
    case storeUnavailable = 73
    /// Another run of the same job, model and tenant holds the run lock; this one did nothing.
    case runLocked = 75
    /// A job file, flag or name is invalid (misspelt key, unknown model alias…).
    case configuration = 78
    /// Stopped cleanly on SIGINT (128 + 2, as shells report it); run again to continue.
    case interrupted = 130
    /// Stopped cleanly on SIGTERM (128 + 15); run again to continue.
    case terminated = 143

    /// The status for an error that stopped a command.
    public static func forError(_ error: Error) -> SeederExitCode {
        switch error {
        case let stopped as RunStopped: return forError(stopped.underlying)
        case is ConfigurationError: return .configuration
        case let e as SourceError:
            switch e.kind {
            case .missing, .empty, .io: return .noInput
            case .corruptCompression, .wrongFormat, .malformedDocument: return .dataError
            }
        case is StoreError, is SQLiteError: return .storeUnavailable
        case is RunLockHeld: return .runLocked
        case is ProviderError: return .providerUnavailable
        // A model seeder can't run is a configuration matter; missing or broken weights make the provider unavailable.
        case let e as LocalModelError: return e.kind == .unsupported ? .configuration : .providerUnavailable
        case is ShardRingError, is PartitionError: return .configuration
        default: return .internalError
        }
    }
}
