import Foundation

extension WordPieceTokenizer {
    /// Loads the tokenizer of the Hugging Face model in `directory`: tokenizer.json when present (the vocabulary
    /// from model.vocab, the options from its normalizer, model and post-processor, its added tokens), else
    /// vocab.txt with tokenizer_config.json's do_lower_case, strip_accents and tokenize_chinese_chars when present.
    /// tokenizer.json's truncation and padding are ignored: `encode` truncates as asked and never pads.
    /// - Throws: `LocalModelError`: `.notFound` without the directory, `.missingFile` without either file,
    ///   `.malformed` for a file that can't be read as one, `.unsupported` for a tokenizer other than BERT's.
    public static func load(directory: String) throws -> WordPieceTokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LocalModelError(
                .notFound, path: directory, message: "no model directory here",
                hint: "check the model path, or run scripts/fetch-model")
        }
        let json = (directory as NSString).appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: json) { return try load(tokenizerJSON: json) }
        let vocab = (directory as NSString).appendingPathComponent("vocab.txt")
        guard FileManager.default.fileExists(atPath: vocab) else {
            throw LocalModelError(
                .missingFile, path: vocab, message: "the model has neither tokenizer.json nor vocab.txt",
                hint: "fetch the complete model directory")
        }
        return try load(
            vocabFile: vocab, config: (directory as NSString).appendingPathComponent("tokenizer_config.json"))
    }

    // MARK: - tokenizer.json

    private static func load(tokenizerJSON path: String) throws -> WordPieceTokenizer {
        let data = try read(path)
        let decoder = JSONDecoder()
        // The component types first, so that another kind of tokenizer is reported as such, not as malformed.
        let header: TokenizerHeader
        do { header = try decoder.decode(TokenizerHeader.self, from: data) } catch {
            throw LocalModelError(.malformed, path: path, message: "not a tokenizer.json: \(describe(error))")
        }
        guard header.model != nil else {
            throw LocalModelError(.malformed, path: path, message: "tokenizer.json has no model")
        }
        func require(_ found: String?, _ supported: String, _ component: String) throws {
            guard found != supported else { return }
            throw LocalModelError(
                .unsupported, path: path,
                message: "the tokenizer's \(component) is \(found ?? "none"); seeder supports \(supported) only",
                hint: "seeder runs BERT-family models, whose tokenizer is WordPiece")
        }
        try require(header.model?.type, "WordPiece", "model")
        try require(header.normalizer?.type, "BertNormalizer", "normalizer")
        try require(header.pre_tokenizer?.type, "BertPreTokenizer", "pre-tokenizer")

        let file: TokenizerFile
        do { file = try decoder.decode(TokenizerFile.self, from: data) } catch {
            throw LocalModelError(.malformed, path: path, message: "unreadable tokenizer.json: \(describe(error))")
        }
        var options = Options()
        options.lowercase = file.normalizer.lowercase ?? true
        options.stripAccents = file.normalizer.strip_accents
        options.handleChineseChars = file.normalizer.handle_chinese_chars ?? true
        options.cleanText = file.normalizer.clean_text ?? true
        options.unknownToken = file.model.unk_token ?? options.unknownToken
        options.continuingSubwordPrefix = file.model.continuing_subword_prefix ?? options.continuingSubwordPrefix
        options.maxInputCharsPerWord = file.model.max_input_chars_per_word ?? options.maxInputCharsPerWord
        let added = (file.added_tokens ?? []).map {
            AddedToken(
                content: $0.content, id: $0.id, singleWord: $0.single_word ?? false, normalized: $0.normalized ?? false)
        }
        options.specialTokens = added.map(\.content)
        let specials = try specialTokens(file.post_processor, path: path)
        options.classifierToken = specials.classifier.token
        options.separatorToken = specials.separator.token
        let entries = try TokenizerJSONVocabulary.read(data, path: path) ?? []
        guard !entries.isEmpty else {
            throw LocalModelError(.malformed, path: path, message: "model.vocab is missing or empty")
        }
        return try WordPieceTokenizer(
            entries: entries, options: options, addedTokens: added,
            specialIds: (specials.classifier.id, specials.separator.id), source: path)
    }

    /// [CLS] and [SEP] from the post-processor: a TemplateProcessing of the form "[CLS] $A [SEP]" (what
    /// transformers writes for BERT) or a BertProcessing.
    private static func specialTokens(_ processor: PostProcessor?, path: String) throws
        -> (classifier: (token: String, id: Int32), separator: (token: String, id: Int32))
    {
        func unsupported(_ message: String) -> LocalModelError {
            LocalModelError(
                .unsupported, path: path,
                message: "\(message); seeder supports a TemplateProcessing \"[CLS] $A [SEP]\" or a BertProcessing",
                hint: "seeder runs BERT-family models, whose tokenizer is WordPiece")
        }
        switch processor?.type {
        case "BertProcessing"?:
            guard let cls = processor?.cls, let sep = processor?.sep else {
                throw unsupported("the BertProcessing lacks cls or sep")
            }
            return ((cls.token, cls.id), (sep.token, sep.id))
        case "TemplateProcessing"?:
            let single = processor?.single ?? []
            guard single.count == 3, let first = single[0].SpecialToken?.id, single[1].Sequence?.id == "A",
                let last = single[2].SpecialToken?.id
            else { throw unsupported("the post-processor's template is not \"[CLS] $A [SEP]\"") }
            func id(_ token: String) throws -> Int32 {
                guard let ids = processor?.special_tokens?[token]?.ids, ids.count == 1 else {
                    throw unsupported("the template's special token \(token) has no single id")
                }
                return ids[0]
            }
            return ((first, try id(first)), (last, try id(last)))
        case let other:
            throw unsupported("the tokenizer's post-processor is \(other ?? "none")")
        }
    }

    // MARK: - vocab.txt

    private static func load(vocabFile path: String, config configPath: String) throws -> WordPieceTokenizer {
        var lines = try read(path).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }  // the newline that ends the last line
        // One token a line, id = line number, trailing whitespace trimmed: HF's WordPiece::read_file.
        let vocabulary = lines.map { line -> String in
            var token = String(decoding: line, as: UTF8.self).unicodeScalars
            while let last = token.last, last.properties.isWhitespace { token.removeLast() }
            return String(token)
        }
        guard !vocabulary.isEmpty else {
            throw LocalModelError(.malformed, path: path, message: "the vocabulary is empty")
        }
        var options = Options()
        if FileManager.default.fileExists(atPath: configPath) {
            let config: TokenizerConfig
            do { config = try JSONDecoder().decode(TokenizerConfig.self, from: read(configPath)) } catch let error
                as LocalModelError
            {
                throw error
            } catch {
                throw LocalModelError(
                    .malformed, path: configPath, message: "unreadable tokenizer_config.json: \(describe(error))")
            }
            options.lowercase = config.do_lower_case ?? true
            options.stripAccents = config.strip_accents
            options.handleChineseChars = config.tokenize_chinese_chars ?? true
            options.unknownToken = config.unk_token?.content ?? options.unknownToken
            options.classifierToken = config.cls_token?.content ?? options.classifierToken
            options.separatorToken = config.sep_token?.content ?? options.separatorToken
            // The special tokens transformers registers for a BertTokenizer, found in the text like any added token.
            options.specialTokens = [
                config.pad_token?.content ?? "[PAD]", options.unknownToken, options.classifierToken,
                options.separatorToken, config.mask_token?.content ?? "[MASK]",
            ]
        }
        do { return try WordPieceTokenizer(vocabulary: vocabulary, options: options) } catch var error
            as LocalModelError
        {
            error.path = path
            throw error
        }
    }

    // MARK: - Files

    private static func read(_ path: String) throws -> Data {
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LocalModelError(.missingFile, path: path, message: "can't read it: \(error.localizedDescription)")
        }
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        case DecodingError.keyNotFound(let key, let context):
            return "no \(context.codingPath.map(\.stringValue).joined(separator: ".")).\(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "unexpected value at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "\(error)"
        }
    }
}

// The parts of HF's tokenizer.json and transformers' tokenizer_config.json that the tokenizer reads; field names
// are the files' own.

private struct TokenizerHeader: Decodable {
    struct Typed: Decodable { var type: String? }
    var model: Typed?
    var normalizer: Typed?
    var pre_tokenizer: Typed?
}

private struct TokenizerFile: Decodable {
    /// model.vocab is read by TokenizerJSONVocabulary, which keeps tokens apart that Swift strings call equal.
    struct Model: Decodable {
        var unk_token: String?
        var continuing_subword_prefix: String?
        var max_input_chars_per_word: Int?
    }
    struct Normalizer: Decodable {
        var clean_text: Bool?
        var handle_chinese_chars: Bool?
        var strip_accents: Bool?
        var lowercase: Bool?
    }
    struct Added: Decodable {
        var id: Int32
        var content: String
        var single_word: Bool?
        var normalized: Bool?
    }
    var model: Model
    var normalizer: Normalizer
    var post_processor: PostProcessor?
    var added_tokens: [Added]?
}

private struct PostProcessor: Decodable {
    struct Piece: Decodable {
        struct Reference: Decodable { var id: String }
        var SpecialToken: Reference?
        var Sequence: Reference?
    }
    struct Special: Decodable { var ids: [Int32] }
    /// BertProcessing's ["[CLS]", 101].
    struct Pair: Decodable {
        var token: String
        var id: Int32
        init(from decoder: Decoder) throws {
            var container = try decoder.unkeyedContainer()
            token = try container.decode(String.self)
            id = try container.decode(Int32.self)
        }
    }
    var type: String?
    var single: [Piece]?
    var special_tokens: [String: Special]?
    var cls: Pair?
    var sep: Pair?
}

private struct TokenizerConfig: Decodable {
    /// A token written as a string or as transformers' {"content": …} object.
    struct Token: Decodable {
        var content: String?
        private struct Object: Decodable { var content: String? }
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            content = (try? container.decode(String.self)) ?? (try? container.decode(Object.self))?.content
        }
    }
    var do_lower_case: Bool?
    var strip_accents: Bool?
    var tokenize_chinese_chars: Bool?
    var unk_token: Token?
    var cls_token: Token?
    var sep_token: Token?
    var pad_token: Token?
    var mask_token: Token?
}
