/// The WordPiece vocabulary as a byte trie with two roots: one holding every token, for the first piece of a
/// word, and one holding the continuing-subword tokens without their prefix ("##ing" as "ing"), for the pieces
/// after it. One walk along the word's UTF-8 bytes finds the longest token at a position, which is what HF's
/// loop over ever shorter substrings finds, without building a string per candidate.
struct WordPieceTrie: Sendable {
    static let wordStart: Int32 = 0
    static let continuation: Int32 = 1

    /// Node n's children are edges firstEdge[n]..<firstEdge[n + 1], sorted by byte.
    private let firstEdge: [Int32]
    private let edgeBytes: [UInt8]
    private let edgeTargets: [Int32]
    /// The token id ending at each node, or -1.
    private let tokenIds: [Int32]

    /// - Parameter vocabulary: token and id pairs; a token given twice keeps its last id, as HF's map does.
    init(vocabulary: [(token: String, id: Int32)], continuingSubwordPrefix prefix: String) {
        // Build with a hash map of edges, then lay the edges out sorted per node for compact, fast lookups.
        var children: [UInt64: Int32] = [:]
        var ids: [Int32] = [-1, -1]
        func insert<Bytes: Collection<UInt8>>(_ bytes: Bytes, root: Int32, id: Int32) {
            guard !bytes.isEmpty else { return }  // an empty piece would match without consuming the word
            var node = root
            for byte in bytes {
                let key = UInt64(UInt32(node)) << 8 | UInt64(byte)
                if let next = children[key] {
                    node = next
                } else {
                    let next = Int32(ids.count)
                    ids.append(-1)
                    children[key] = next
                    node = next
                }
            }
            ids[Int(node)] = id
        }
        for (token, id) in vocabulary {
            insert(token.utf8, root: Self.wordStart, id: id)
            // Compared as bytes: as Characters, "##ि" is "#" and "#ि", since the vowel sign joins the "#".
            if !prefix.isEmpty, token.utf8.starts(with: prefix.utf8) {
                insert(token.utf8.dropFirst(prefix.utf8.count), root: Self.continuation, id: id)
            }
        }
        let edges = children.map {
            (parent: Int32(truncatingIfNeeded: $0.key >> 8), byte: UInt8(truncatingIfNeeded: $0.key), child: $0.value)
        }
        .sorted { ($0.parent, $0.byte) < ($1.parent, $1.byte) }
        var first = [Int32](repeating: 0, count: ids.count + 1)
        for edge in edges { first[Int(edge.parent) + 1] += 1 }
        for n in 0..<ids.count { first[n + 1] += first[n] }
        firstEdge = first
        edgeBytes = edges.map(\.byte)
        edgeTargets = edges.map(\.child)
        tokenIds = ids
    }

    /// The longest token spelled by `word[start...]` from `root`: its id and the index just past it.
    @inline(__always)
    func longestMatch(_ word: [UInt8], from start: Int, root: Int32) -> (id: Int32, end: Int)? {
        word.withUnsafeBufferPointer { bytes in
            firstEdge.withUnsafeBufferPointer { first in
                edgeBytes.withUnsafeBufferPointer { labels in
                    edgeTargets.withUnsafeBufferPointer { targets in
                        tokenIds.withUnsafeBufferPointer { ids in
                            var best: (id: Int32, end: Int)?
                            var node = Int(root)
                            var i = start
                            while i < bytes.count {
                                let byte = bytes[i]
                                var lo = Int(first[node])
                                var hi = Int(first[node + 1])
                                let end = hi
                                // Binary search while the range is wide (near the roots), then a short linear scan.
                                while hi - lo > 8 {
                                    let mid = (lo + hi) / 2
                                    if labels[mid] < byte { lo = mid + 1 } else { hi = mid }
                                }
                                while lo < end, labels[lo] < byte { lo += 1 }
                                guard lo < end, labels[lo] == byte else { break }
                                node = Int(targets[lo])
                                i += 1
                                if ids[node] >= 0 { best = (ids[node], i) }
                            }
                            return best
                        }
                    }
                }
            }
        }
    }
}
