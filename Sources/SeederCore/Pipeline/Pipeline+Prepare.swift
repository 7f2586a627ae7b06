import Foundation

/// A chunk ready to commit: the rows for each shard, and what the chunk adds to the run's counters.
struct PreparedChunk: Sendable {
    var batches: [ShardBatch]
    var delta: RunCounters
    var failures: [RecordFailure]
    var checkpoint: SourceCheckpoint
    var inputBytesRead: Int64
}

/// The prepare stage: texts → normalized, hashed, deduplicated, looked up, embedded.
extension Pipeline {
    /// A text ready for the dedup and embedding stages.
    struct Candidate: Sendable {
        var hash: TextHash
        var normalized: String
        var recordIndex: Int
    }

    /// Renders, normalizes, filters and hashes every text of `records`, adding them to the in-run set; counts
    /// skips and in-run duplicates into `counters` when given (nil while replaying, which only rebuilds the set).
    func candidates(of records: [Record], counters: inout RunCounters?) -> [Candidate] {
        var out: [Candidate] = []
        out.reserveCapacity(records.count * templates.count)
        let minChars = job.source.minChars, maxChars = job.source.maxChars
        for (index, record) in records.enumerated() {
            if let selection = job.selection, selection.selected(record.category).isEmpty {
                counters?.skipped[SkipReason.filtered.rawValue, default: 0] += 1
                continue
            }
            for template in templates {
                guard let raw = template.render(record) else {
                    counters?.skipped[SkipReason.empty.rawValue, default: 0] += 1
                    continue
                }
                let normalized = TextNormalizer.normalize(raw)
                if let reason = Self.lengthSkip(normalized, minChars: minChars, maxChars: maxChars) {
                    counters?.skipped[reason.rawValue, default: 0] += 1
                    continue
                }
                let hash = TextHash(normalized: normalized)
                if let part = keyPartition, !part.owns(hash) {
                    counters?.otherPartition += 1
                    continue
                }
                counters?.texts += 1
                guard seen.insert(hash) else {
                    counters?.duplicatesInRun += 1
                    counters?.tokensAvoided += Int64(estimatedTokens(normalized))
                    continue
                }
                out.append(Candidate(hash: hash, normalized: normalized, recordIndex: index))
            }
        }
        return out
    }

    /// Why a text's length rules it out, if it does. Lengths are in Unicode scalars; a scalar takes 1 to 4 UTF-8
    /// bytes, so the byte count settles most texts without counting scalars (an O(n) walk).
    static func lengthSkip(_ text: String, minChars: Int, maxChars: Int) -> SkipReason? {
        let bytes = text.utf8.count
        if bytes == 0 { return .empty }
        if bytes < minChars { return .tooShort }
        if bytes <= maxChars && (bytes + 3) / 4 >= minChars { return nil }
        if bytes > 4 * maxChars { return .tooLong }
        let scalars = text.unicodeScalars.count
        return scalars < minChars ? .tooShort : scalars > maxChars ? .tooLong : nil
    }

    /// The tokens sending `normalized` would cost: estimated from its bytes, the task prefix included.
    func estimatedTokens(_ normalized: String) -> Int {
        batcher.estimateTokens(utf8Count: normalized.utf8.count + (spec.documentPrefix?.utf8.count ?? 0), maxInputTokens: spec.maxInputTokens)
    }

    func replay(_ chunk: RecordChunk) {
        var none: RunCounters? = nil
        _ = candidates(of: chunk.records, counters: &none)
    }

    /// Everything for one chunk short of embedding it. Runs in input order (it updates the in-run dedup set).
    /// - Parameter recovered: keys this run committed after its last checkpoint before it was killed.
    func stage(_ chunk: RecordChunk, recovered: Set<TextHash>) async throws -> StagedChunk {
        var counting: RunCounters? = RunCounters()
        let fresh = timer.time("normalize") { candidates(of: chunk.records, counters: &counting) }
        var delta = counting ?? RunCounters()
        delta.records = Int64(chunk.records.count)
        delta.addSkips(chunk.skipped)

        // Which keys each shard owns.
        let owners = ring.owners(of: fresh.map(\.hash))
        var keysByShard = [[TextHash]](repeating: [], count: shards.count)
        for (i, owner) in owners.enumerated() { keysByShard[owner].append(fresh[i].hash) }

        // One batched lookup per shard, all shards at once.
        let stored = self.stored, tenant = job.store.tenant
        let found: [Set<TextHash>] = try await timer.time("lookup") {
            try await withThrowingTaskGroup(of: (Int, Set<TextHash>).self) { group in
                for (s, keys) in keysByShard.enumerated() where !keys.isEmpty {
                    group.addTask { (s, try await self.shards[s].lookup(keys, model: stored, tenant: tenant)) }
                }
                var result = [Set<TextHash>](repeating: [], count: shards.count)
                for try await (s, map) in group { result[s] = map }
                return result
            }
        }

        // Keep what must be embedded. A key stored by this very run was committed after the last checkpoint by an
        // attempt that then died: it counts as embedded and stored, as in an uninterrupted run, and is not paid
        // for again.
        // A quota (`[select]`) is charged for every new text, in input order, those recovered included (the attempt
        // that stored them charged them the same way).
        var toEmbed: [Int] = []
        for (i, candidate) in fresh.enumerated() {
            let isNew = !found[owners[i]].contains(candidate.hash) || recovered.contains(candidate.hash)
            if isNew, let selection = job.selection, selection.hasQuotas {
                guard let category = selection.charge(chunk.records[candidate.recordIndex].category, used: &selectionUsed) else {
                    delta.skipped[SkipReason.filtered.rawValue, default: 0] += 1
                    continue
                }
                delta.selected[category, default: 0] += 1
            }
            if found[owners[i]].contains(candidate.hash) {
                if recovered.contains(candidate.hash) {
                    delta.embedded += 1
                    delta.stored += 1
                } else {
                    delta.alreadyStored += 1
                    delta.tokensAvoided += Int64(estimatedTokens(candidate.normalized))
                }
            } else {
                toEmbed.append(i)
            }
        }

        let prefix = spec.documentPrefix ?? ""
        let inputs: [EmbeddingInput] = toEmbed.map { i in
            let text = prefix.isEmpty ? fresh[i].normalized : prefix + fresh[i].normalized
            return EmbeddingInput(text: text, hash: fresh[i].hash,
                                  estimatedTokens: batcher.estimateTokens(utf8Count: text.utf8.count, maxInputTokens: spec.maxInputTokens))
        }
        return StagedChunk(chunk: chunk, fresh: fresh, owners: owners, perShard: keysByShard.map(\.count), toEmbed: toEmbed, inputs: inputs,
                           ranges: batcher.cut(tokens: inputs.map(\.estimatedTokens)), delta: delta)
    }

    /// Embeds a staged chunk's batches through `gate` and sorts the vectors into per-shard batches.
    ///
    /// When a batch fails, the batches still in flight are cancelled and it throws ``PartialEmbedding``, carrying
    /// what the batches that did finish returned: they are paid for, and are written without moving the checkpoint.
    func embed(_ staged: StagedChunk, sequence: Int64, gate: BatchGate) async throws -> PreparedChunk {
        let start = ContinuousClock.now
        defer { timer.add("embed", (ContinuousClock.now - start).seconds) }
        let (matrices, failure) = await embedBatches(staged.inputs, in: staged.ranges, priority: sequence, gate: gate)
        let prepared = try assemble(staged, matrices: matrices)
        if let failure { throw PartialEmbedding(completed: prepared, underlying: failure) }
        return prepared
    }

    /// The per-shard batches, counters and failures of the batches in `matrices` that finished (all of them, for a
    /// chunk that is complete).
    private func assemble(_ staged: StagedChunk, matrices: [EmbeddingMatrix?]) throws -> PreparedChunk {
        let chunk = staged.chunk, fresh = staged.fresh, toEmbed = staged.toEmbed, inputs = staged.inputs
        let dims = stored.dimensions
        var delta = staged.delta
        var batches = shards.map { _ in ShardBatch(dimensions: dims) }
        for s in batches.indices { batches[s].reserve(staged.perShard[s]) }
        var failures = chunk.failures, refused = 0
        for (range, matrix) in zip(staged.ranges, matrices) {
            guard let matrix else { continue }
            let slice = inputs[range]
            guard matrix.rows + matrix.failed.count == slice.count, matrix.dimensions == dims, matrix.values.count == matrix.rows * dims else {
                throw ProviderError(provider: provider.kind, message: "returned \(matrix.rows) vectors of \(matrix.dimensions) dimensions for \(slice.count) texts; expected \(dims) dimensions")
            }
            // Texts the provider refused even alone: skipped, counted and recorded with its message.
            for (offset, reason) in matrix.failed.sorted(by: { $0.key < $1.key }) {
                let record = chunk.records[fresh[toEmbed[range.lowerBound + offset]].recordIndex]
                delta.skipped[SkipReason.providerRefused.rawValue, default: 0] += 1
                refused += 1
                failures.append(RecordFailure(ordinal: record.ordinal, recordID: record.id, reason: .providerRefused, detail: reason))
            }
            delta.textsSent += Int64(slice.count)
            delta.batchesSent += 1
            delta.retries += Int64(matrix.retries)
            if let used = matrix.tokensUsed {
                delta.tokensSent += Int64(used)
            } else {
                let estimate = Int64(slice.reduce(0) { $0 + $1.estimatedTokens })
                delta.tokensSent += estimate
                delta.tokensEstimated += estimate
            }
            let offsets = matrix.inputIndices(batchSize: slice.count)
            matrix.values.withUnsafeBufferPointer { values in
                for (row, offset) in offsets.enumerated() {
                    let i = toEmbed[range.lowerBound + offset]
                    let record = chunk.records[fresh[i].recordIndex]
                    batches[staged.owners[i]].append(hash: fresh[i].hash, vector: UnsafeBufferPointer(rebasing: values[(row * dims)..<((row + 1) * dims)]),
                                                     text: SeededText(source: record.source ?? source.kind, category: record.category, recordID: record.id,
                                                                      title: record.title, text: fresh[i].normalized))
                }
            }
        }
        delta.embedded += Int64(toEmbed.count - refused)
        return PreparedChunk(batches: batches, delta: delta, failures: failures, checkpoint: chunk.checkpoint,
                             inputBytesRead: chunk.inputBytesRead)
    }

    /// Embeds every batch of `inputs` (cut at `ranges`), each once `gate` gives it a slot, and returns the results
    /// in batch order: nil for a batch that didn't finish, and the first error, after which no batch is started
    /// and those in flight are cancelled.
    func embedBatches(_ inputs: [EmbeddingInput], in ranges: [Range<Int>], priority: Int64,
                      gate: BatchGate) async -> ([EmbeddingMatrix?], (any Error)?) {
        let provider = self.provider
        let failed = Flag()
        return await withTaskGroup(of: (Int, Result<EmbeddingMatrix, any Error>).self) { group in
            var results = [EmbeddingMatrix?](repeating: nil, count: ranges.count)
            var failure: (any Error)?
            // The first real failure is the cause; the cancellations it triggers (here, or by closing the gate) are not.
            func note(_ error: any Error) {
                if failure == nil || (failure is CancellationError && !(error is CancellationError)) { failure = error }
            }
            func collect(_ index: Int, _ result: Result<EmbeddingMatrix, any Error>) {
                switch result {
                case .success(let matrix): results[index] = matrix
                case .failure(let error):
                    note(error)
                    group.cancelAll()
                }
            }
            for (index, range) in ranges.enumerated() {
                do {
                    try await gate.acquire(priority: priority)
                } catch {
                    note(error)
                    break
                }
                // A batch that failed meanwhile stops the submissions.
                if failed.isSet {
                    gate.release()
                    break
                }
                let slice = Array(inputs[range])
                group.addTask {
                    defer { gate.release() }
                    do {
                        return (index, .success(try await provider.embed(slice)))
                    } catch {
                        _ = failed.set()
                        // The run stops: no batch of this chunk or the next one starts after this.
                        gate.close()
                        return (index, .failure(error))
                    }
                }
            }
            while let (done, result) = await group.next() { collect(done, result) }
            return (results, failure)
        }
    }
}

/// A chunk's batches were not all embedded: `completed` holds those that were (partial counters and rows), and
/// `underlying` what stopped the rest.
struct PartialEmbedding: Error {
    var completed: PreparedChunk
    var underlying: any Error
}

/// A chunk normalized, deduplicated and looked up: what remains is to embed ``inputs`` in ``ranges``.
struct StagedChunk: Sendable {
    var chunk: RecordChunk
    var fresh: [Pipeline.Candidate]
    /// The shard owning each of `fresh`'s keys, and how many each shard owns.
    var owners: [Int]
    var perShard: [Int]
    /// Indices into `fresh` of the texts to embed, and their inputs (task prefix applied).
    var toEmbed: [Int]
    var inputs: [EmbeddingInput]
    var ranges: [Range<Int>]
    var delta: RunCounters
}

