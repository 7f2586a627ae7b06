import Foundation

/// What sentence-transformers adds to a Hugging Face model directory: the module list (`modules.json`), the
/// pooling (`1_Pooling/config.json`) and the sequence length (`sentence_bert_config.json`), whose
/// `max_seq_length` wins over the tokenizer's own truncation.
///
/// A plain Hugging Face BERT directory without these files gets what sentence-transformers gives it: mean pooling
/// and the model's position limit.
public struct SentenceTransformerConfig: Sendable, Equatable {
    public var pooling: BertEncoder.Pooling
    /// Tokens per text at most, [CLS] and [SEP] included; nil to use the model's position limit.
    public var maxSequenceLength: Int?
    /// sentence_bert_config's `do_lower_case`: lowercase the text before tokenizing (rare; the tokenizer's own
    /// lowercasing is separate).
    public var lowercaseInput: Bool

    public init(pooling: BertEncoder.Pooling = .mean, maxSequenceLength: Int? = nil, lowercaseInput: Bool = false) {
        self.pooling = pooling
        self.maxSequenceLength = maxSequenceLength
        self.lowercaseInput = lowercaseInput
    }

    /// Reads the sentence-transformers files of `directory`, where present.
    public static func load(directory: String) throws -> SentenceTransformerConfig {
        var config = SentenceTransformerConfig()
        if let st = try object(at: directory + "/sentence_bert_config.json") {
            if let length = st["max_seq_length"] as? Int {
                guard length > 2 else {
                    throw LocalModelError(.malformed, path: directory + "/sentence_bert_config.json", message: "max_seq_length \(length) leaves no room for text")
                }
                config.maxSequenceLength = length
            }
            config.lowercaseInput = st["do_lower_case"] as? Bool ?? false
        }
        let modulesPath = directory + "/modules.json"
        guard FileManager.default.fileExists(atPath: modulesPath) else { return config }
        let data = try read(modulesPath)
        guard let modules = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else {
            throw LocalModelError(.malformed, path: modulesPath, message: "expected a JSON list of modules")
        }
        for module in modules {
            let type = module["type"] as? String ?? "?"
            let path = module["path"] as? String ?? ""
            switch type.split(separator: ".").last.map(String.init) ?? type {
            case "Transformer":
                guard path.isEmpty else {
                    throw LocalModelError(.unsupported, path: modulesPath, message: "the Transformer module lives in '\(path)/'; seeder reads it from the directory itself")
                }
            case "Pooling":
                config.pooling = try pooling(at: directory + "/" + path + "/config.json")
            case "Normalize":
                break // seeder L2-normalizes every vector anyway.
            default:
                throw LocalModelError(.unsupported, path: modulesPath, message: "module \(type) is not supported",
                                      hint: "seeder runs Transformer → Pooling (mean or CLS) → Normalize models; serve this one with --provider tei or ollama")
            }
        }
        return config
    }

    private static func pooling(at path: String) throws -> BertEncoder.Pooling {
        guard let config = try object(at: path) else {
            throw LocalModelError(.missingFile, path: path, message: "modules.json names a Pooling module, but its config is missing")
        }
        let modes = config.compactMap { key, value -> String? in
            guard key.hasPrefix("pooling_mode_"), value as? Bool == true else { return nil }
            return String(key.dropFirst("pooling_mode_".count))
        }.sorted()
        switch modes {
        case ["mean_tokens"]: return .mean
        case ["cls_token"]: return .cls
        default:
            throw LocalModelError(.unsupported, path: path, message: "pooling \(modes.isEmpty ? "none" : modes.joined(separator: " + ")) is not supported",
                                  hint: "seeder pools by mean_tokens or cls_token")
        }
    }

    private static func object(at path: String) throws -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try read(path)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LocalModelError(.malformed, path: path, message: "not a JSON object")
        }
        return object
    }

    private static func read(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LocalModelError(.missingFile, path: path, message: "cannot read: \(error.localizedDescription)")
        }
    }
}
