/// A libpq call failed: the server's error (SQLSTATE, message, detail, hint) with the statement and the shard's
/// DSN, its password redacted.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// The five-character SQLSTATE, when the server sent one (libpq's own failures have none).
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// The statement that failed, if any.
    public var sql: String?
    /// The connection's DSN with its password replaced by `***`.
    public var dsn: String
    /// The connection is gone (server restarted, network lost, backend terminated): reconnecting and redoing the
    /// operation may succeed.
    public var isConnectionLoss: Bool

    public init(sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil, sql: String? = nil,
                dsn: String, isConnectionLoss: Bool) {
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.sql = sql
        self.dsn = dsn
        self.isConnectionLoss = isConnectionLoss
    }

    /// SQLSTATEs of a connection that is gone: class 08 (connection exception), and a backend shut down by the
    /// administrator (57P01), a crash (57P02) or a server not yet accepting connections (57P03).
    static func isConnectionLossState(_ state: String?) -> Bool {
        guard let state else { return false }
        // Class 08 is "connection exception", but 08P01 (protocol violation: a malformed message, such as a wrong
        // parameter count) is a bug that reconnecting can't mend: it fails at once instead of being waited out.
        return state.hasPrefix("08") && state != "08P01" || ["57P01", "57P02", "57P03"].contains(state)
    }

    public var description: String {
        var s = message
        if let sqlState { s = "\(sqlState): " + s }
        if let detail { s += " (\(detail))" }
        if let hint { s += " — \(hint)" }
        if let sql { s += " [in: \(sql.count > 200 ? String(sql.prefix(200)) + "…" : sql)]" }
        return s + " on \(dsn)"
    }
}
