import Crypto

/// SHA-256 over many small pieces, for digests of whole tables.
struct StreamingSHA256 {
    private var hasher = SHA256()

    mutating func update(bytes: [UInt8]) { hasher.update(data: bytes) }
    mutating func update(string: String) { hasher.update(data: Array(string.utf8)) }
    mutating func update(byte: UInt8) { hasher.update(data: [byte]) }

    func finalizeHex() -> String {
        hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
