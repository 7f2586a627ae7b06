import CSQLite

/// An error reported by SQLite, with the result code, SQLite's message, the statement and the file,
/// so that a failure can be understood from the message alone.
///
/// See <https://www.sqlite.org/rescode.html> for the result codes.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The (extended) result code.
    public let code: Int32
    /// SQLite's message.
    public let message: String
    /// The SQL that failed, when a statement did.
    public let sql: String?
    /// The database file.
    public let path: String

    public init(code: Int32, message: String, sql: String? = nil, path: String) {
        self.code = code
        self.message = message
        self.sql = sql
        self.path = path
    }

    /// True when the file could not be opened or written for reasons of the file system
    /// (permissions, read-only media, missing directory, full disk).
    public var isStorageUnavailable: Bool {
        let primary = code & 0xFF
        return primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY || primary == SQLITE_PERM
            || primary == SQLITE_FULL || primary == SQLITE_IOERR
    }

    public var description: String {
        var s = "SQLite error \(code) on \(path): \(message)"
        if let sql { s += " (while running: \(sql.prefix(200)))" }
        return s
    }
}
