import ArgumentParser
#if canImport(Glibc)
import CMalloc
#endif
import Foundation
import Logging
import SeederCore

/// `seeder`: pre-compute embeddings for what an embedding cache's users will ask for, straight into its tables.
@main
struct Seeder: AsyncParsableCommand {
    static func main() async {
        limitMallocArenas()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "seeder",
        abstract: "Pre-compute embeddings for an embedding cache and write them into its shards.",
        discussion: """
            Jobs live in ./jobs (or $SEEDER_JOBS). Exit codes: docs/exit-codes.md.
            """,
        version: "0.1.0",
        subcommands: [RunCommand.self, DoctorCommand.self, JobsCommand.self, ModelsCommand.self, StatusCommand.self, ShardsCommand.self, SweepCommand.self, HitsCommand.self, ReportCommand.self, BenchCommand.self]
    )
}

/// Prints an error the way every command does, and turns it into the documented exit status.
func fail(_ error: Error) -> ExitCode {
    let code = SeederExitCode.forError(error)
    var message = String(describing: error)
    if code == .internalError { message += " (unexpected: please report it)" }
    if LogFormat.current == .json {
        // One JSON line, like every other line a log shipper reads from this process.
        Logger(label: "seeder").error("\(message)", metadata: ["exit_code": "\(code.rawValue)", "exit": "\(code)"])
    } else {
        FileHandle.standardError.write(Data("seeder: error: \(message)\n".utf8))
    }
    return ExitCode(code.rawValue)
}

/// glibc gives each thread that allocates its own malloc arena (up to 8 per core); with a dozen pipeline threads
/// handing chunk arrays to each other, freed memory then sits in many arenas. Two arenas keep the resident size
/// flat (measured: 209 → 169 MB on a 1M-document run, no slower; BENCHMARKS.md). An explicit MALLOC_ARENA_MAX wins.
func limitMallocArenas() {
    #if canImport(Glibc)
    if ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil {
        _ = mallopt(M_ARENA_MAX, 2)
    }
    #endif
}
