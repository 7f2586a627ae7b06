import CLibPQ

/// One `PGresult*`, freed with `PQclear` in `deinit`. Values are read as text, or as raw bytes when the query
/// asked for binary results (bytea arrives without hex encoding, text as its UTF-8 bytes).
final class PostgresResult {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    deinit { PQclear(handle) }

    var status: ExecStatusType { PQresultStatus(handle) }
    var rowCount: Int { Int(PQntuples(handle)) }
    var columnCount: Int { Int(PQnfields(handle)) }

    /// Rows a command affected (`PQcmdTuples`), 0 when it says nothing.
    var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(handle, Int32(row), Int32(column)) != 0 }

    /// The value as a string (in binary results, a text column's UTF-8 bytes); nil for NULL.
    func string(_ row: Int, _ column: Int) -> String? {
        if isNull(row, column) { return nil }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        return PQgetvalue(handle, Int32(row), Int32(column)).withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    /// The value's bytes as the server sent them (binary results: a bytea's raw bytes).
    func bytes(_ row: Int, _ column: Int) -> [UInt8] {
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        guard length > 0, let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return [] }
        return Array(UnsafeRawBufferPointer(start: value, count: length))
    }

    func int64(_ row: Int, _ column: Int) -> Int64? { string(row, column).flatMap { Int64($0) } }
    func double(_ row: Int, _ column: Int) -> Double? { string(row, column).flatMap { Double($0) } }

    func errorField(_ code: UInt8) -> String? {
        PQresultErrorField(handle, Int32(code)).map { String(cString: $0) }
    }
}
