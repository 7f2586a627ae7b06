import CSQLite
import Foundation

/// A prepared statement. Owns its `sqlite3_stmt*` and finalizes it in `deinit`.
///
/// Parameters are 1-based as in SQLite's C API (<https://www.sqlite.org/c3ref/bind_blob.html>).
public final class SQLiteStatement {
    let handle: OpaquePointer
    /// The SQL text, for errors.
    public let sql: String
    private unowned let connection: SQLiteConnection

    init(connection: SQLiteConnection, sql: String) throws {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw connection.error(code: rc, sql: sql) }
        self.handle = stmt
        self.sql = sql
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    /// Resets the statement so it can run again; bindings are cleared.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Resets the statement so it can run again, keeping its bindings: a loop rebinds only what changes.
    public func rewind() {
        sqlite3_reset(handle)
    }

    public func bind(_ value: String, at index: Int32) throws {
        // SQLITE_TRANSIENT: SQLite copies the bytes, so the Swift string need not outlive the call.
        // withUTF8 is zero-copy for native strings.
        var value = value
        let rc = value.withUTF8 { buffer in
            sqlite3_bind_text(handle, index, UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self),
                              Int32(buffer.count), sqliteTransient)
        }
        try check(rc)
    }

    public func bind(_ value: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    public func bind(_ value: Double, at index: Int32) throws {
        try check(sqlite3_bind_double(handle, index, value))
    }

    public func bindNull(at index: Int32) throws {
        try check(sqlite3_bind_null(handle, index))
    }

    /// Binds a blob without copying it: the bytes must stay valid until the statement is stepped and
    /// reset or rebound (SQLITE_STATIC). For large values bound in a tight loop over a buffer the caller owns.
    public func bind(borrowedBlob blob: UnsafeRawBufferPointer, at index: Int32) throws {
        try check(sqlite3_bind_blob(handle, index, blob.baseAddress, Int32(blob.count), nil))
    }

    /// Steps once: true when a row is available, false when done.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(code: rc, sql: sql)
        }
    }

    /// Runs to completion, ignoring rows.
    public func run() throws {
        while try step() {}
    }

    public func string(at column: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: text)
    }

    public func int64(at column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    public func double(at column: Int32) -> Double { sqlite3_column_double(handle, column) }

    public func isNull(at column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    /// The bytes of a blob column (copied).
    public func blob(at column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    private func check(_ rc: Int32) throws {
        if rc != SQLITE_OK { throw connection.error(code: rc, sql: sql) }
    }
}

/// SQLite's `SQLITE_TRANSIENT` destructor sentinel, which the C macro can't express in Swift.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
