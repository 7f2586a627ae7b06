import ArgumentParser
import Foundation
import SeederCore

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "List the jobs in ./jobs (or $SEEDER_JOBS).")

    func run() throws {
        let directory = JobLoader.jobsDirectory()
        let names = JobLoader.listNames(in: directory)
        guard !names.isEmpty else {
            throw fail(ConfigurationError(file: directory, message: "no job files here", hint: "run seeder from the project folder, or set SEEDER_JOBS"))
        }
        var rows = [["JOB", "SOURCE", "MODEL", "PROVIDER", "SHARDS", "DESCRIPTION"]]
        for name in names {
            do {
                let job = try JobLoader.load(path: "\(directory)/\(name).toml")
                rows.append([name, job.source.kind, job.model.name, job.provider.kind ?? "(model default)",
                             String(job.store.shards.count), job.description])
            } catch {
                rows.append([name, "-", "-", "-", "-", "invalid: \(error)"])
            }
        }
        print(Table.render(rows))
    }
}

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "List the model catalog.")

    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        if json {
            let items = ModelCatalog.all.map { m -> [String: String] in
                ["alias": m.alias, "model": m.canonicalID, "version": m.version, "dimensions": String(m.dimensions),
                 "min_dimensions": m.minimumDimensions.map(String.init) ?? "", "max_tokens": String(m.maxInputTokens),
                 "prefix": m.documentPrefix ?? "", "pooling": m.pooling, "provider": m.defaultProvider]
            }
            let data = try JSONSerialization.data(withJSONObject: items, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        var rows = [["ALIAS", "MODEL", "VERSION", "DIMS", "MAX TOKENS", "DOCUMENT PREFIX", "PROVIDER"]]
        for m in ModelCatalog.all {
            let dims = m.minimumDimensions.map { "\(m.dimensions) (≥\($0))" } ?? String(m.dimensions)
            rows.append([m.alias, m.canonicalID, m.version, dims, String(m.maxInputTokens),
                         m.documentPrefix.map { "\"\($0)\"" } ?? "-", m.defaultProvider])
        }
        print(Table.render(rows))
    }
}

/// Plain aligned columns.
enum Table {
    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = [Int](repeating: 0, count: first.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
