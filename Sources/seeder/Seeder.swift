import ArgumentParser
import Foundation
import SeederCore

/// `seeder`: pre-compute embeddings for what an embedding cache's users will ask for, straight into its tables.
@main
struct Seeder: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seeder",
        abstract: "Pre-compute embeddings for an embedding cache and write them into its shards.",
        discussion: """
            Jobs live in ./jobs (or $SEEDER_JOBS). Exit codes: docs/exit-codes.md.
            """,
        version: "0.1.0",
        subcommands: [RunCommand.self, JobsCommand.self, ModelsCommand.self, StatusCommand.self, ShardsCommand.self, BenchCommand.self]
    )
}

/// Prints an error the way every command does, and turns it into the documented exit status.
func fail(_ error: Error) -> ExitCode {
    let code = SeederExitCode.forError(error)
    var message = String(describing: error)
    if code == .internalError { message += " (unexpected: please report it)" }
    FileHandle.standardError.write(Data("seeder: error: \(message)\n".utf8))
    return ExitCode(code.rawValue)
}
