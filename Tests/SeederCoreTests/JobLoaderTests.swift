import Foundation
import XCTest
@testable import SeederCore

final class JobLoaderTests: XCTestCase {
    func write(_ text: String, _ name: String, in dir: String) throws -> String {
        let path = "\(dir)/\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    let valid = """
        description = "d"
        [source]
        kind = "wikipedia-abstracts"
        input = "../data/in.xml.gz"
        texts = ["{title}: {body}", "{body}"]
        [model]
        name = "nomic-v1.5"
        dimensions = 256
        [store]
        shards = ["s0.sqlite", { name = "eu-1", path = "/abs/s1.sqlite" }]
        [batch]
        max_items = 32
        """

    func testPathsAreRelativeToTheJobFileAndDefaultsApply() throws {
        let dir = try temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: "\(dir)/jobs", withIntermediateDirectories: true)
        let job = try JobLoader.load(path: try write(valid, "j.toml", in: "\(dir)/jobs"))
        XCTAssertEqual(job.name, "j")
        XCTAssertEqual(job.source.input, "\(dir)/data/in.xml.gz")
        XCTAssertEqual(job.store.shards, [ShardLocation(name: "0", path: "\(dir)/jobs/s0.sqlite"), ShardLocation(name: "eu-1", path: "/abs/s1.sqlite")])
        XCTAssertEqual(job.source.texts, ["{title}: {body}", "{body}"])
        XCTAssertEqual(job.model.dimensions, 256)
        XCTAssertEqual(job.batch.maxItems, 32)
        XCTAssertEqual(job.batch.chunkRecords, 8192)
        XCTAssertEqual(job.store.tenant, "public")
        XCTAssertEqual(job.store.durability, .full)
    }

    func testTheLocalModelsPathAndThreadsAreReadAndAModelFlagDropsThePath() throws {
        let dir = try temporaryDirectory(self)
        let relative = try JobLoader.load(path: try write(valid.replacingOccurrences(of: "dimensions = 256", with: "path = \"models/mini\"\n[provider]\nthreads = 3"), "j.toml", in: dir))
        XCTAssertEqual(relative.model.path, "\(dir)/models/mini", "relative to the job file")
        XCTAssertEqual(relative.provider.threads, 3)
        let home = try JobLoader.load(path: try write(valid.replacingOccurrences(of: "dimensions = 256", with: "path = \"~/m\""), "h.toml", in: dir))
        XCTAssertEqual(home.model.path, NSHomeDirectory() + "/m")
        XCTAssertNil(relative.applying(JobOverrides(model: "minilm-l6")).model.path, "another model's weights don't carry over")
        let flagged = relative.applying(JobOverrides(model: "minilm-l6", modelPath: "/w/mini", threads: 1))
        XCTAssertEqual(flagged.model.path, "/w/mini")
        XCTAssertEqual(flagged.provider.threads, 1)
        XCTAssertThrowsError(try JobLoader.load(path: try write(valid + "\n[provider]\nthreads = 0\n", "z.toml", in: dir))) { error in
            XCTAssertTrue("\(error)".contains("provider.threads"), "\(error)")
        }
    }

    func testExtendsMergesTablesAndTheChildWins() throws {
        let dir = try temporaryDirectory(self)
        _ = try write(valid, "base.toml", in: dir)
        let child = try JobLoader.load(path: try write("extends = \"base.toml\"\n[model]\nname = \"minilm-l6\"\n", "child.toml", in: dir))
        XCTAssertEqual(child.name, "child")
        XCTAssertEqual(child.model.name, "minilm-l6")
        XCTAssertEqual(child.model.dimensions, 256, "tables merge key by key")
        XCTAssertEqual(child.batch.maxItems, 32)
    }

    func testMisspeltKeysNameTheKeyAndTheClosestValidOne() throws {
        let dir = try temporaryDirectory(self)
        for (typo, expected) in [("inptu", "source.input"), ("min_char", "source.min_chars")] {
            let path = try write(valid.replacingOccurrences(of: "texts =", with: "\(typo) = 1\ntexts ="), "t.toml", in: dir)
            XCTAssertThrowsError(try JobLoader.load(path: path)) { error in
                let text = String(describing: error)
                XCTAssertTrue(text.contains(path) && text.contains("source.\(typo)") && text.contains(expected), text)
            }
        }
        let path = try write("shards = [\"a\"]\n" + valid, "t2.toml", in: dir)
        XCTAssertThrowsError(try JobLoader.load(path: path)) { XCTAssertTrue(String(describing: $0).contains("did you mean 'store.shards'"), "\($0)") }
    }

    func testWrongTypesAndBadTOMLAreClearErrors() throws {
        let dir = try temporaryDirectory(self)
        let p1 = try write(valid.replacingOccurrences(of: "max_items = 32", with: "max_items = \"many\""), "a.toml", in: dir)
        XCTAssertThrowsError(try JobLoader.load(path: p1)) { XCTAssertTrue(String(describing: $0).contains("batch.max_items must be an integer"), "\($0)") }
        let p2 = try write("[source\nkind = 1", "b.toml", in: dir)
        XCTAssertThrowsError(try JobLoader.load(path: p2)) { XCTAssertTrue(String(describing: $0).contains("line 1"), "\($0)") }
        let p3 = try write(valid.replacingOccurrences(of: "{title}: {body}", with: "{titel}"), "c.toml", in: dir)
        XCTAssertThrowsError(try JobLoader.load(path: p3)) { XCTAssertTrue(String(describing: $0).contains("did you mean '{title}'"), "\($0)") }
    }

    func testLocateFindsJobsByNameAndSuggestsNearNames() throws {
        let dir = try temporaryDirectory(self)
        _ = try write(valid, "wikipedia.toml", in: dir)
        XCTAssertEqual(try JobLoader.locate("wikipedia", jobsDirectory: dir), "\(dir)/wikipedia.toml")
        XCTAssertThrowsError(try JobLoader.locate("wikipdia", jobsDirectory: dir)) { XCTAssertTrue(String(describing: $0).contains("did you mean 'wikipedia'"), "\($0)") }
    }

    func testTheRepositoryJobsLoad() throws {
        let jobs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("jobs").path
        let names = JobLoader.listNames(in: jobs)
        XCTAssertTrue(names.contains("wikipedia") && names.contains("wikipedia-abstracts"))
        for name in names {
            let job = try JobLoader.load(path: "\(jobs)/\(name).toml")
            _ = try ModelCatalog.resolve(job.model.name, context: name)
        }
        let wikipedia = try JobLoader.load(path: "\(jobs)/wikipedia.toml")
        XCTAssertEqual(wikipedia.source.kind, "wikipedia", "the main job reads the pages-articles dump")
        XCTAssertTrue(FileManager.default.fileExists(atPath: wikipedia.source.input), wikipedia.source.input)
        let postgres = try JobLoader.load(path: "\(jobs)/wikipedia-postgres.toml")
        XCTAssertEqual(postgres.store.kind, "postgres", "inferred from the DSNs")
        XCTAssertEqual(postgres.store.shards.map(\.name), ["0", "1", "2", "3"])
        XCTAssertTrue(postgres.store.shards.allSatisfy { $0.path.hasPrefix("postgres://") }, "DSNs are not made into paths")
        XCTAssertEqual(postgres.source.input, wikipedia.source.input)
    }

    func testStoreKindsAreInferredCheckedAndPasswordsStayOffTheCommandLine() throws {
        let dir = try temporaryDirectory(self)
        func load(_ store: String) throws -> JobConfig {
            let path = "\(dir)/job.toml"
            try "[source]\nkind = \"wikipedia-abstracts\"\ninput = \"x.xml\"\n[model]\nname = \"minilm-l6\"\n[store]\n\(store)\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            return try JobLoader.load(path: path)
        }
        XCTAssertEqual(try load(#"shards = ["a.sqlite"]"#).store.kind, "sqlite")
        XCTAssertThrowsError(try load(#"shards = ["a.sqlite", "postgres://h/db"]"#)) { XCTAssertTrue("\($0)".contains("PostgreSQL DSNs and the rest SQLite")) }
        XCTAssertThrowsError(try load("kind = \"sqlite\"\nshards = [\"postgres://h/db\"]")) { XCTAssertTrue("\($0)".contains("store.kind")) }
        XCTAssertThrowsError(try load("shards = [\"a.sqlite\"]\ncontrol = \"postgres://h/db\"")) { XCTAssertTrue("\($0)".contains("store.control")) }
        let job = try load("shards = [\"postgres://h/db\"]\ncontrol = \"postgres://c/db\"\ngive_up_after_seconds = 5")
        XCTAssertEqual(job.store.controlLocation.path, "postgres://c/db")
        XCTAssertEqual(job.store.giveUpAfterSeconds, 5)
        XCTAssertThrowsError(try JobOverrides(shards: ["postgres://u:hunter2@h/db"]).validate()) { error in
            XCTAssertFalse("\(error)".contains("hunter2"))
            XCTAssertTrue("\(error)".contains("PGPASSWORD"))
        }
        XCTAssertNoThrow(try JobOverrides(shards: ["postgres://u@h/db"]).validate())
        XCTAssertEqual(ShardLocation.redacting("postgres://u:p@ss@h:5/db?sslmode=require&password=x"), "postgres://u:***@h:5/db?sslmode=require&password=***")
        XCTAssertEqual(ShardLocation.redacting("/data/s0.sqlite"), "/data/s0.sqlite")
    }

    func testOverridesReplaceFileSettings() throws {
        let dir = try temporaryDirectory(self)
        let job = try JobLoader.load(path: try write(valid, "j.toml", in: dir))
            .applying(JobOverrides(model: "minilm-l6", input: "/x.xml", shards: ["/a", "/b", "/c"], batchSize: 7))
        XCTAssertEqual(job.model.name, "minilm-l6")
        XCTAssertNil(job.model.dimensions, "a new model drops the old model's truncation")
        XCTAssertEqual(job.source.input, "/x.xml")
        XCTAssertEqual(job.store.shards.map(\.name), ["0", "1", "2"])
        XCTAssertEqual(job.batch.maxItems, 7)
    }

    func testHTTPFlagsReplaceTheFilesProviderSettingsAndAreCheckedLikeIt() throws {
        let dir = try temporaryDirectory(self)
        let file = valid.replacingOccurrences(of: "[store]", with: "[provider]\napi_key_file = \"/keys/k\"\nrpm = 5\n[store]")
        let base = try JobLoader.load(path: try write(file, "j.toml", in: dir))
        let flags = JobOverrides(baseURL: "http://gpu-box:8080", serverModel: "nomic-embed-text", apiKeyEnv: "EMBED_KEY",
                                 concurrency: 16, rpm: 3000, tpm: 1_000_000, timeoutSeconds: 30, giveUpAfterSeconds: 600,
                                 pricePerMillionTokens: 0.02, encodingFormat: "float")
        XCTAssertNoThrow(try flags.validate())
        XCTAssertEqual(base.provider.apiKeyFile, "/keys/k")
        let job = base.applying(flags).provider
        XCTAssertEqual(job.baseURL, "http://gpu-box:8080")
        XCTAssertEqual(job.serverModel, "nomic-embed-text")
        XCTAssertEqual(job.apiKeyEnv, "EMBED_KEY")
        XCTAssertNil(job.apiKeyFile, "the flag's place for the key replaces the file's")
        XCTAssertEqual([job.concurrency, job.rpm, job.tpm], [16, 3000, 1_000_000])
        XCTAssertEqual([job.timeoutSeconds, job.giveUpAfterSeconds, job.pricePerMillionTokens], [30, 600, 0.02])
        XCTAssertEqual(job.encodingFormat, "float")
        XCTAssertEqual(base.applying(JobOverrides(apiKeyFile: "k")).provider.apiKeyFile,
                       FileManager.default.currentDirectoryPath + "/k", "a flag's path is relative to the working directory")

        let refused: [(JobOverrides, String)] = [
            (JobOverrides(baseURL: "localhost:11434"), "--base-url"),
            (JobOverrides(concurrency: 0), "--concurrency"),
            (JobOverrides(tpm: -1), "--tpm"),
            (JobOverrides(timeoutSeconds: 0), "--timeout"),
            (JobOverrides(pricePerMillionTokens: -1), "--price"),
            (JobOverrides(encodingFormat: "binary"), "--encoding-format"),
            (JobOverrides(apiKeyEnv: "A", apiKeyFile: "/b"), "--api-key-env"),
        ]
        for (flags, flag) in refused {
            XCTAssertThrowsError(try flags.validate(), flag) { error in
                XCTAssertEqual((error as? ConfigurationError)?.position, flag)
            }
        }
    }

    func testAssemblyRejectsUnknownModelsAndImpossibleDimensions() throws {
        let dir = try temporaryDirectory(self)
        var job = try JobLoader.load(path: try write(valid, "j.toml", in: dir))
        job.model.name = "nomic-v15"
        XCTAssertThrowsError(try JobAssembly(job: job)) { XCTAssertTrue(String(describing: $0).contains("did you mean 'nomic-v1.5'"), "\($0)") }
        job.model.name = "minilm-l6"
        job.provider.kind = "olama"
        XCTAssertThrowsError(try JobAssembly(job: job)) { XCTAssertTrue(String(describing: $0).contains("did you mean 'ollama'"), "\($0)") }
    }
}
