import Foundation
import XCTest

/// The test suite's own PostgreSQL servers: each test gets a fresh one, reachable on loopback, restartable.
final class ThrowawayPostgresTests: XCTestCase {
    private func query(_ server: ThrowawayPostgres, _ sql: String) throws -> (status: Int32, output: String) {
        try ThrowawayPostgres.run("/usr/bin/psql", [server.dsn(), "-v", "ON_ERROR_STOP=1", "-tAc", sql])
    }

    func testAServerOfItsOwnAnswersAndSurvivesARestart() throws {
        let server = try ThrowawayPostgres(self)
        let version = try query(server, "SHOW server_version_num")
        XCTAssertEqual(version.status, 0, version.output)
        XCTAssertGreaterThanOrEqual(Int(version.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 150000)

        XCTAssertEqual(try query(server, "CREATE TABLE t (k int primary key); INSERT INTO t VALUES (1), (2)").status, 0)
        try server.restart()
        let rows = try query(server, "SELECT count(*) FROM t")
        XCTAssertEqual(rows.output.trimmingCharacters(in: .whitespacesAndNewlines), "2", "committed rows survive a fast restart")
    }

    func testTwoServersRunSideBySideOnTheirOwnPorts() throws {
        let a = try ThrowawayPostgres(self), b = try ThrowawayPostgres(self)
        XCTAssertNotEqual(a.port, b.port)
        XCTAssertEqual(try query(a, "CREATE DATABASE only_on_a").status, 0)
        XCTAssertEqual(try query(a, "SELECT count(*) FROM pg_database WHERE datname = 'only_on_a'").output.trimmingCharacters(in: .whitespacesAndNewlines), "1")
        XCTAssertEqual(try query(b, "SELECT count(*) FROM pg_database WHERE datname = 'only_on_a'").output.trimmingCharacters(in: .whitespacesAndNewlines), "0")
    }
}
