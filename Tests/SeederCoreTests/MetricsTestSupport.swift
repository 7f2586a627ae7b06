#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import XCTest
@testable import SeederCore

/// Figures with every optional set and values that exercise integer and fractional formatting.
func sampleMetrics(job: String = "nightly", model: String = "sentence-transformers/all-MiniLM-L6-v2",
                   tenant: String = "acme", partition: String = "2/4", stored: Int64 = 1_234) -> RunMetrics {
    RunMetrics(
        job: job, model: model, tenant: tenant, partition: partition, state: "running",
        itemsRead: 10_000, records: 9_000, skipped: ["too_long": 2, "redirect": 100],
        texts: 8_898, duplicatesInRun: 50, alreadyStored: 300, embedded: 8_548, stored: stored,
        textsSent: 8_600, batchesSent: 135, retries: 3, failures: 1,
        tokensSent: 1_000_000, tokensAvoided: 40_000,
        inputBytesRead: 5_000_000, inputBytesTotal: 20_000_000,
        activeSeconds: 3_600.25, invocationSeconds: 61.5,
        stageSeconds: ["source": 1.2, "embed": 30.5, "commit": 2.1],
        costDollars: 0.02, costAvoidedDollars: 0.0008,
        lastSuccess: Date(timeIntervalSince1970: 1_795_000_000),
        updatedAt: Date(timeIntervalSince1970: 1_795_489_262.5)
    )
}

/// Figures with every optional left nil and no reasons or stages.
func minimalMetrics() -> RunMetrics {
    RunMetrics(
        job: "j", model: "m", tenant: "t", partition: "", state: "done",
        itemsRead: 0, records: 0, skipped: [:], texts: 0, duplicatesInRun: 0, alreadyStored: 0,
        embedded: 0, stored: 0, textsSent: 0, batchesSent: 0, retries: 0, failures: 0,
        tokensSent: 0, tokensAvoided: 0, inputBytesRead: 0, inputBytesTotal: nil,
        activeSeconds: 0, invocationSeconds: 0, stageSeconds: [:], costDollars: nil,
        costAvoidedDollars: nil, lastSuccess: nil, updatedAt: Date(timeIntervalSince1970: 0)
    )
}

/// One parsed sample of the text exposition format.
struct ParsedSample: Equatable {
    var name: String
    var labels: [String: String]
    var value: String
}

enum ExpositionParseError: Error, CustomStringConvertible {
    case malformed(line: Int, text: String, why: String)
    var description: String {
        switch self {
        case let .malformed(line, text, why): return "exposition line \(line) (\(text)): \(why)"
        }
    }
}

/// A strict parser for what the tests need: sample lines with escaped label values; comments skipped.
func parseExposition(_ text: String) throws -> [ParsedSample] {
    var out: [ParsedSample] = []
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        if line.isEmpty || line.hasPrefix("#") { continue }
        let chars = Array(line)
        var i = 0
        var name = ""
        while i < chars.count, chars[i] != "{", chars[i] != " " { name.append(chars[i]); i += 1 }
        var labels: [String: String] = [:]
        if i < chars.count, chars[i] == "{" {
            i += 1
            while i < chars.count, chars[i] != "}" {
                var key = ""
                while i < chars.count, chars[i] != "=" { key.append(chars[i]); i += 1 }
                guard i + 1 < chars.count, chars[i + 1] == "\"" else {
                    throw ExpositionParseError.malformed(line: index + 1, text: String(line), why: "expected =\"")
                }
                i += 2
                var value = ""
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\" {
                        guard i + 1 < chars.count else {
                            throw ExpositionParseError.malformed(line: index + 1, text: String(line), why: "dangling escape")
                        }
                        switch chars[i + 1] {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default:
                            throw ExpositionParseError.malformed(line: index + 1, text: String(line), why: "bad escape")
                        }
                        i += 2
                    } else {
                        value.append(chars[i]); i += 1
                    }
                }
                guard i < chars.count else {
                    throw ExpositionParseError.malformed(line: index + 1, text: String(line), why: "unterminated value")
                }
                i += 1
                if labels[key] != nil {
                    throw ExpositionParseError.malformed(line: index + 1, text: String(line), why: "duplicate label \(key)")
                }
                labels[key] = value
                if i < chars.count, chars[i] == "," { i += 1 }
            }
            i += 1
        }
        guard i < chars.count, chars[i] == " " else {
            throw ExpositionParseError.malformed(line: index + 1, text: String(line), why: "expected space before value")
        }
        let value = String(chars[(i + 1)...])
        guard Double(value) != nil else {
            throw ExpositionParseError.malformed(line: index + 1, text: String(line), why: "value is not a number")
        }
        out.append(ParsedSample(name: name, labels: labels, value: value))
    }
    return out
}

/// Runs a program to its end, feeding `input` on stdin; returns exit status and combined output.
func runTool(_ path: String, _ arguments: [String], input: String) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let stdin = Pipe()
    let output = Pipe()
    process.standardInput = stdin
    process.standardOutput = output
    process.standardError = output
    try process.run()
    try stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Fails the test loudly when a required real tool is missing, instead of skipping.
func requireTool(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> Bool {
    if FileManager.default.isExecutableFile(atPath: path) { return true }
    XCTFail("\(path) is missing; install it with: apt-get install prometheus prometheus-pushgateway", file: file, line: line)
    return false
}

/// A loopback TCP port that was free a moment ago (the kernel picks it).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EADDRINUSE) }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    guard named == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL) }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// A socket listening on loopback that never accepts or answers: connections complete, requests hang.
final class SilentListener {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    deinit { close(fd) }
}
