import ArgumentParser
import Foundation
import SeederCore

extension BenchCommand {
    /// `seeder bench postgres`: rows/s into PostgreSQL shards, against `psql \copy (FORMAT binary)` and naive INSERTs.
    struct Postgres: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "PostgreSQL shards: rows/s through PostgresShard.write against `psql \\copy … (FORMAT binary)` of the same rows and against a prepared INSERT per row.",
            discussion: """
                Generates --rows rows once in memory (keys of "bench <i>", hash-provider vectors, a short text each), \
                splits them over --shards shards by the ring, and loads them into fresh schemas of the DSN's database \
                (dropped afterwards): seeder (chunk by chunk, the shards' writes of a chunk in parallel; then with two \
                chunks in flight), one `psql \\copy` per shard started together (the limit), and one autocommitted \
                prepared INSERT per row for the first --naive-rows rows. Row counts are checked after each load. \
                The password comes from PGPASSWORD or ~/.pgpass, never from the command line. \
                scripts/bench-postgres runs it against a throwaway server. See BENCHMARKS.md.
                """)
        @Option(help: "The database, as postgres://user@host:port/db (no password: PGPASSWORD or .pgpass).") var dsn: String
        @Option(help: "Rows to load.") var rows = 200_000
        @Option(help: "Vector dimensions (float32).") var dimensions = 384
        @Option(help: "Shards (schemas of the one database).") var shards = 4
        @Option(help: "Rows of input per chunk (split over the shards).") var chunk = 8_192
        @Option(name: .customLong("naive-rows"), help: "Rows the naive row-by-row load inserts (the first ones).") var naiveRows = 20_000
        @Option(help: "The psql executable.") var psql = "/usr/bin/psql"
        @Option(help: "Folder for the \\copy input files (removed afterwards).") var workDir = "/tmp/seeder-bench/postgres"

        func run() async throws {
            do {
                guard ShardLocation.isPostgresDSN(dsn) else { throw ValidationError("--dsn must be a postgres:// or postgresql:// URI") }
                guard !PostgresWriteBenchmark.dsnHasPassword(dsn) else {
                    throw ValidationError("--dsn must not carry a password (it would show in the process list): use PGPASSWORD or ~/.pgpass")
                }
                guard rows > 0, dimensions > 0, shards > 0, chunk > 0, naiveRows > 0 else {
                    throw ValidationError("--rows, --dimensions, --shards, --chunk and --naive-rows must be positive")
                }
                guard FileManager.default.isExecutableFile(atPath: psql) else { throw ValidationError("no psql at \(psql): pass --psql PATH") }
                let bench = PostgresWriteBenchmark(dsn: dsn, rows: rows, dimensions: dimensions, shards: shards, chunk: chunk,
                                                   naiveRows: naiveRows, psql: psql, workDirectory: workDir + "/\(getpid())")
                let report = try await bench.run()
                let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } catch let e as ExitCode { throw e } catch let e as ValidationError { throw e } catch {
                // A benchmark that could not load (or verify) its rows fails loudly, whatever the cause.
                FileHandle.standardError.write(Data("seeder: error: bench postgres: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}
