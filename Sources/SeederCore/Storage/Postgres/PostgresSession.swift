import Dispatch
import Foundation
import Logging

/// One PostgreSQL connection used from a serial queue of its own (libpq calls block: they stay off Swift's
/// cooperative pool), which survives a lost connection: an operation that loses it reconnects with exponential
/// backoff (0.1 s doubling to 5 s, with jitter) and is redone from its start — every write seeder makes is
/// idempotent, and a transaction whose COMMIT got no answer is simply redone. Past `giveUpAfter` without a
/// server, the operation throws a ``StoreError`` (the run stops at its last checkpoint).
final class PostgresSession: @unchecked Sendable {
    let location: ShardLocation
    let applicationName: String
    let giveUpAfter: Duration
    private let queue: DispatchQueue
    /// Runs on every new connection before it is used (a temporary table, a lock to take again).
    private let prepare: (PostgresConnection) throws -> Void
    /// Touched only on `queue` (and in `init`, before the queue sees any work).
    private var connection: PostgresConnection?
    private static let logger = Logger(label: "seeder.postgres")
    /// The server this session talks to (`host:port`), for ``ServerOutages``.
    private let server: String

    /// Connects once, failing at once when the server can't be reached: a DSN that never worked is a mistake to
    /// report, not an outage to wait out.
    init(location: ShardLocation, applicationName: String, giveUpAfter: Duration, role: String,
         prepare: @escaping (PostgresConnection) throws -> Void = { _ in }) throws {
        self.location = location
        self.applicationName = applicationName
        self.giveUpAfter = giveUpAfter
        self.prepare = prepare
        queue = DispatchQueue(label: "seeder.postgres.\(location.name).\(role)")
        server = ServerOutages.key(location.path)
        do {
            let connection = try PostgresConnection(dsn: location.path, applicationName: applicationName)
            try prepare(connection)
            self.connection = connection
        } catch let error as PostgresError {
            throw StoreError(shard: location, message: "cannot connect: \(error.message)",
                             hint: error.isConnectionLoss
                                ? "check that the server is running and the DSN's host, port, user, password and database are right"
                                : nil)
        }
    }

    /// Runs `body` with the connection on the session's queue, reconnecting and redoing it after a lost connection.
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try self.runHere(body) }) }
        }
    }

    /// ``run(_:)`` blocking the calling thread (for `init`s, before anything else can use the session).
    func runBlocking<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try queue.sync { try runHere(body) }
    }

    /// Drops the connection (the session reconnects when next used). On the queue.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.connection = nil
                continuation.resume()
            }
        }
    }

    private func runHere<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let clock = ContinuousClock()
        // The outage is timed from the first failure, not from the start of what may be a long operation.
        var firstLoss: ContinuousClock.Instant?
        var delay = 0.1
        var attempt = 0
        while true {
            do {
                let connection = try connected()
                let result = try body(connection)
                ServerOutages.shared.answered(server)
                return result
            } catch let error as PostgresError where error.isConnectionLoss {
                connection = nil
                // Another session already waited the whole give-up time for this server: a run that is stopping
                // (saving what it can) must not wait it out again for every shard and its run store.
                if let gaveUp = ServerOutages.shared.gaveUp(server) {
                    throw StoreError(shard: location, message: "the server is unreachable (\(error.message)); gave up on it after \(gaveUp) s",
                                     hint: "start the server (or fix the network) and run the job again: it resumes from the checkpoint")
                }
                let lostAt = firstLoss ?? clock.now
                firstLoss = lostAt
                let waited = clock.now - lostAt
                if waited >= giveUpAfter {
                    let seconds = Int(waited.components.seconds)
                    ServerOutages.shared.giveUp(server, after: seconds)
                    throw StoreError(shard: location,
                                     message: "the server has been unreachable for \(seconds) s (\(error.message)); the run stopped at its last checkpoint",
                                     hint: "start the server (or fix the network) and run the job again: it resumes from the checkpoint")
                }
                attempt += 1
                if attempt == 1 || attempt % 10 == 0 {
                    Self.logger.warning("lost the connection to shard \(self.location.name) (\(self.location.displayPath)): \(error.message); reconnecting")
                }
                let remaining = giveUpAfter - waited
                let pause = min(delay * Double.random(in: 0.5...1.0), Double(remaining.components.seconds) + 0.05)
                Thread.sleep(forTimeInterval: max(pause, 0.01))
                delay = min(delay * 2, 5)
            } catch let error as PostgresError {
                throw StoreError(shard: location, message: error.description)
            }
        }
    }

    private func connected() throws -> PostgresConnection {
        if let connection, !connection.isBroken { return connection }
        connection = nil
        let fresh = try PostgresConnection(dsn: location.path, applicationName: applicationName)
        try prepare(fresh)
        connection = fresh
        return fresh
    }

    /// `seeder <pid>@<host>`: what `pg_stat_activity` shows, so an operator can tell whose session it is.
    static func defaultApplicationName() -> String {
        "seeder \(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)"
    }
}

/// The servers this process gave up on, by `host:port`: one session's give-up time is every session's (a stopping
/// run then fails fast on the other shards and the run store instead of waiting once more for each). Any answer
/// from the server clears it.
final class ServerOutages: @unchecked Sendable {
    static let shared = ServerOutages()
    private let lock = NSLock()
    private var down: [String: Int] = [:]

    /// `host:port` of a DSN (the whole DSN, without its query, when it doesn't parse).
    static func key(_ dsn: String) -> String {
        let base = PostgresConnection.splitSchema(from: dsn).dsn
        guard let components = URLComponents(string: base), let host = components.host else {
            return String(base.prefix { $0 != "?" })
        }
        return "\(host):\(components.port ?? 5432)"
    }

    func giveUp(_ server: String, after seconds: Int) { lock.withLock { down[server] = seconds } }

    /// The seconds waited when this process gave up on `server`, or nil.
    func gaveUp(_ server: String) -> Int? { lock.withLock { down[server] } }

    func answered(_ server: String) {
        lock.withLock { if !down.isEmpty { down[server] = nil } }
    }
}
