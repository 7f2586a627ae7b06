/// Builds the input of `COPY … FROM STDIN (FORMAT binary)`: the 11-byte signature `PGCOPY\n\377\r\n\0`, a 32-bit
/// flags field and a 32-bit header-extension length (both 0), then per tuple a 16-bit field count and for each
/// field a 32-bit length (−1 for NULL) and the value, all integers in network byte order; a 16-bit −1 ends it.
///
/// Binary COPY skips the server's text parsing and bytea's hex decoding: the vectors go in as they are.
public struct BinaryCopyEncoder {
    public private(set) var bytes: [UInt8]

    static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]

    /// Starts with the header; `capacity` reserves room for the whole input.
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(max(capacity, 19))
        bytes += Self.signature
        append(int32: 0)  // flags: no OIDs
        append(int32: 0)  // header extension length
    }

    /// Starts a tuple of `fields` fields.
    public mutating func beginTuple(fields: Int) { append(int16: Int16(fields)) }

    /// A `text` field: its UTF-8 bytes. PostgreSQL's text can't hold U+0000 (SQLite's can, and a source may carry
    /// one in a title or id): it becomes U+FFFD rather than failing the whole chunk.
    public mutating func text(_ value: String) {
        var value = value
        if value.utf8.contains(0) { value = value.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") }
        value.withUTF8 { bytea(UnsafeRawBufferPointer($0)) }
    }

    /// A `bytea` field: the bytes as they are.
    public mutating func bytea(_ value: UnsafeRawBufferPointer) {
        append(int32: Int32(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func bytea(_ value: [UInt8]) { value.withUnsafeBytes { bytea($0) } }

    /// An `int4` field.
    public mutating func int4(_ value: Int32) {
        append(int32: 4)
        append(int32: value)
    }

    /// An `int8` field.
    public mutating func int8(_ value: Int64) {
        append(int32: 8)
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// A NULL field.
    public mutating func null() { append(int32: -1) }

    /// Appends the trailer and returns the whole input.
    public mutating func finish() -> [UInt8] {
        append(int16: -1)
        return bytes
    }

    private mutating func append(int16 value: Int16) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
    private mutating func append(int32 value: Int32) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
}
