import CLibPQ
import Foundation

/// One connection to a PostgreSQL server. Owns its `PGconn*` and closes it with `PQfinish` in `deinit`.
///
/// Not thread-safe by design: a connection belongs to one serial queue (see ``PostgresSession``). Calls block.
///
/// The DSN is a libpq URI (`postgres://user[:password]@host:port/db?...`) that may carry seeder's own
/// `schema=<name>` parameter: libpq would reject it, so it is taken out, and after connecting the schema is
/// created when missing and made the `search_path` — several shards can be schemas of one database.
public final class PostgresConnection {
    let handle: OpaquePointer
    /// The DSN as messages show it (password replaced by `***`).
    public let displayDSN: String
    /// The schema named by `schema=`, if any.
    public let schema: String?
    private let password: String?

    /// Connects, then sets the session up: UTC and ISO timestamps (the text form `StoredRow` carries) and the schema.
    public init(dsn: String, applicationName: String) throws {
        displayDSN = ShardLocation.redacting(dsn)
        let parsed = Self.splitSchema(from: dsn)
        schema = parsed.schema
        password = Self.password(in: dsn)
        // Later keywords override what the expanded DSN says: the defaults come first so that a DSN's own win.
        // TCP keepalives notice a server that vanished without closing the connection (a network partition, a
        // host powered off) in about a minute, where a blocked read would otherwise wait for hours.
        let keywords = ["connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count", "dbname", "application_name"]
        let values = ["10", "30", "10", "3", parsed.dsn, String(applicationName.prefix(63))]
        let connection = Self.withCStrings(keywords) { k in
            Self.withCStrings(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let connection else {
            throw PostgresError(message: "out of memory connecting", dsn: displayDSN, isConnectionLoss: true)
        }
        handle = connection
        guard PQstatus(connection) == CONNECTION_OK else {
            // deinit runs PQfinish.
            throw PostgresError(message: lastMessage(), dsn: displayDSN, isConnectionLoss: true)
        }
        // Warnings and errors only: libpq prints notices on standard error, and "relation … already exists,
        // skipping" on every start is noise in an operator's terminal and cron mail.
        try execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET client_min_messages = warning")
        if let schema {
            let quoted = try quoteIdentifier(schema)
            // Only when missing: CREATE SCHEMA IF NOT EXISTS checks the CREATE privilege even when the schema exists,
            // and a role may use a schema it could not create.
            let exists = try query("SELECT count(*) FROM pg_namespace WHERE nspname = $1", [schema]).int64(0, 0) ?? 0
            if exists == 0 {
                do {
                    try execute("CREATE SCHEMA IF NOT EXISTS \(quoted)")
                } catch let error as PostgresError where error.sqlState == "23505" || error.sqlState == "42P06" {
                    // Another process created it at the same moment.
                }
            }
            try execute("SET search_path TO \(quoted)")
        }
    }

    deinit { PQfinish(handle) }

    /// Whether libpq still thinks the connection works (it notices a loss only when a call fails).
    public var isBroken: Bool { PQstatus(handle) == CONNECTION_BAD }

    /// Runs one or more statements (simple query protocol), returning the last one's result.
    @discardableResult
    func execute(_ sql: String) throws -> PostgresResult {
        try check(PQexec(handle, sql), sql: sql)
    }

    /// Runs one statement with text parameters (`$1`…; nil is NULL). `binaryResult` returns every column in
    /// binary form: bytea as raw bytes, text as UTF-8 bytes (cast other types to text).
    @discardableResult
    func query(_ sql: String, _ parameters: [String?], binaryResult: Bool = false) throws -> PostgresResult {
        var copies: [UnsafeMutablePointer<CChar>?] = parameters.map { value -> UnsafeMutablePointer<CChar>? in
            guard let value else { return nil }
            return strdup(value)
        }
        defer { for copy in copies { free(copy) } }
        let result = copies.withUnsafeMutableBufferPointer { buffer -> OpaquePointer? in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in
                PQexecParams(handle, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, binaryResult ? 1 : 0)
            }
        }
        return try check(result, sql: sql)
    }

    /// `COPY … FROM STDIN` with `data` as its input (binary COPY format: see ``BinaryCopyEncoder``), sent in large
    /// pieces. Returns the rows copied.
    @discardableResult
    func copyIn(_ sql: String, data: [UInt8]) throws -> Int {
        guard let start = PQexec(handle, sql) else { throw failure(nil, sql: sql) }
        let started = PostgresResult(start)
        guard started.status == PGRES_COPY_IN else { throw failure(started, sql: sql) }
        let piece = 1 << 20
        var sendError: PostgresError?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let count = min(piece, raw.count - offset)
                let sent = PQputCopyData(handle, raw.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self), Int32(count))
                if sent != 1 {
                    sendError = failure(nil, sql: sql)
                    return
                }
                offset += count
            }
        }
        let ended = sendError == nil ? PQputCopyEnd(handle, nil) : PQputCopyEnd(handle, "seeder could not send the data")
        if ended != 1, sendError == nil { sendError = failure(nil, sql: sql) }
        // Drain every result, or the connection stays busy.
        var outcome: Result<Int, PostgresError>
        if let sendError { outcome = .failure(sendError) } else { outcome = .success(0) }
        while let next = PQgetResult(handle) {
            let result = PostgresResult(next)
            if case .success = outcome {
                outcome = result.status == PGRES_COMMAND_OK ? .success(result.affectedRows) : .failure(failure(result, sql: sql))
            }
        }
        if case .success = outcome, isBroken { outcome = .failure(failure(nil, sql: sql)) }
        return try outcome.get()
    }

    /// Runs `body` between BEGIN and COMMIT, rolling back when it throws. A COMMIT that got no answer may or may
    /// not have happened: callers redo the whole transaction, which their idempotent writes allow.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if !isBroken { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    /// `name` quoted as an SQL identifier.
    func quoteIdentifier(_ name: String) throws -> String {
        guard let quoted = PQescapeIdentifier(handle, name, name.utf8.count) else {
            throw PostgresError(message: "cannot quote the identifier \(name): \(lastMessage())", dsn: displayDSN, isConnectionLoss: false)
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    private func check(_ result: OpaquePointer?, sql: String) throws -> PostgresResult {
        guard let result else { throw failure(nil, sql: sql) }
        let wrapped = PostgresResult(result)
        switch wrapped.status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK: return wrapped
        default: throw failure(wrapped, sql: sql)
        }
    }

    /// The error of `result`, or of the connection when there is no result (libpq failed before the server answered).
    private func failure(_ result: PostgresResult?, sql: String?) -> PostgresError {
        let state = result?.errorField(UInt8(ascii: "C"))
        let message = result?.errorField(UInt8(ascii: "M")) ?? lastMessage()
        return PostgresError(sqlState: state, message: redacted(message), detail: result?.errorField(UInt8(ascii: "D")).map(redacted),
                             hint: result?.errorField(UInt8(ascii: "H")), sql: sql, dsn: displayDSN,
                             isConnectionLoss: isBroken || PostgresError.isConnectionLossState(state))
    }

    private func lastMessage() -> String {
        var message = String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
        // libpq prefixes the server's severity ("FATAL:  "); the message reads better without it.
        for prefix in ["FATAL:  ", "ERROR:  "] where message.hasPrefix(prefix) { message.removeFirst(prefix.count) }
        return redacted(message)
    }

    /// libpq does not echo passwords, but nothing it says may show one.
    private func redacted(_ text: String) -> String {
        guard let password, !password.isEmpty else { return text }
        return text.replacingOccurrences(of: password, with: "***")
    }

    // MARK: DSN handling

    /// The DSN without its `schema=` parameter, and the schema (percent-decoded).
    static func splitSchema(from dsn: String) -> (dsn: String, schema: String?) {
        guard let question = dsn.firstIndex(of: "?") else { return (dsn, nil) }
        var schema: String?
        let kept = dsn[dsn.index(after: question)...].split(separator: "&", omittingEmptySubsequences: true).filter { item in
            guard item.lowercased().hasPrefix("schema=") else { return true }
            let value = String(item.dropFirst("schema=".count))
            schema = value.removingPercentEncoding ?? value
            return false
        }
        let base = String(dsn[..<question])
        return (kept.isEmpty ? base : base + "?" + kept.joined(separator: "&"), schema?.isEmpty == true ? nil : schema)
    }

    /// The password in a DSN's user info or `password=` parameter, to scrub it from messages.
    static func password(in dsn: String) -> String? {
        guard let schemeEnd = dsn.range(of: "://") else { return nil }
        let rest = dsn[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
            let raw = String(rest[rest.index(after: colon)..<at])
            return raw.removingPercentEncoding ?? raw
        }
        if let question = rest.firstIndex(of: "?") {
            for item in rest[rest.index(after: question)...].split(separator: "&") where item.lowercased().hasPrefix("password=") {
                let raw = String(item.dropFirst("password=".count))
                return raw.removingPercentEncoding ?? raw
            }
        }
        return nil
    }

    /// Calls `body` with a NULL-terminated array of C strings that live for the call.
    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        var copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        defer { for copy in copies { free(copy) } }
        return copies.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { body($0.baseAddress!) }
        }
    }
}
