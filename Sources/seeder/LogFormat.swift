import Foundation
import Logging
import SeederCore

/// How seeder writes its log lines and errors on standard error: `text` for people, `json` (one object a line) for
/// log shippers.
enum LogFormat: String, CaseIterable, Sendable {
    case text
    case json

    /// The format errors are printed in (`fail`); set once, when a command bootstraps logging.
    nonisolated(unsafe) static var current: LogFormat = .text

    /// Sets up swift-log for this process. Called once, before anything logs.
    static func bootstrap(_ format: LogFormat, level: Logger.Level) {
        current = format
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
