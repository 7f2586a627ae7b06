#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging

/// A swift-log handler for `--log-format json`: one JSON object per line, on standard error by default.
///
/// Each line has `ts` (RFC 3339 UTC, milliseconds), `level`, `logger`, `msg`, then the metadata keys
/// in sorted order (handler metadata, then the metadata provider's, then the call's; later wins).
/// Metadata keys named like the fixed ones get a `meta_` prefix so they cannot overwrite them.
public struct JSONLogHandler: LogHandler {
    /// The logger's label, written as `logger`.
    public let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    private let sink: @Sendable (String) -> Void
    private let clock: @Sendable () -> Date

    /// Writes to standard error, one `write(2)` per line.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.init(label: label, metadataProvider: metadataProvider, sink: Self.standardError, clock: { Date() })
    }

    /// Hands each line, newline included, to `sink`; calls are serialized across all handlers.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, sink: @escaping @Sendable (String) -> Void) {
        self.init(label: label, metadataProvider: metadataProvider, sink: sink, clock: { Date() })
    }

    init(label: String, metadataProvider: Logger.MetadataProvider?, sink: @escaping @Sendable (String) -> Void, clock: @escaping @Sendable () -> Date) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.sink = sink
        self.clock = clock
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided, uniquingKeysWith: { _, new in new })
        }
        if let call = event.metadata {
            merged.merge(call, uniquingKeysWith: { _, new in new })
        }
        if let error = event.error, merged["error"] == nil {
            merged["error"] = .string(String(describing: error))
        }
        let line = Self.line(ts: clock(), level: event.level, logger: label, message: event.message.description, metadata: merged)
        // One lock for every handler: loggers with different labels share standard error.
        Self.lock.lock()
        defer { Self.lock.unlock() }
        sink(line)
    }

    // MARK: - Formatting

    private static let lock = NSLock()
    private static let reserved: Set<String> = ["ts", "level", "logger", "msg"]

    static func line(ts: Date, level: Logger.Level, logger: String, message: String, metadata: Logger.Metadata) -> String {
        var out = "{\"ts\":\"\(timestamp(ts))\",\"level\":\"\(level.rawValue)\",\"logger\":"
        appendString(logger, to: &out)
        out += ",\"msg\":"
        appendString(message, to: &out)
        var keys: [String: Logger.Metadata.Value] = [:]
        for (key, value) in metadata {
            var name = key
            while reserved.contains(name) || (name != key && metadata[name] != nil) || keys[name] != nil {
                name = "meta_" + name
            }
            keys[name] = value
        }
        for key in keys.keys.sorted() {
            out += ","
            appendString(key, to: &out)
            out += ":"
            if let value = keys[key] { appendValue(value, to: &out) }
        }
        out += "}\n"
        return out
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-11-23T03:01:02.123Z`; without DateFormatter,
    /// which is slow and not safe to share across threads on every platform.
    static func timestamp(_ date: Date) -> String {
        // Nearest, not down: 1795489262.123 * 1000 is 1795489262122.99… in binary floating point.
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(millis >= 0 ? millis / 1000 : (millis - 999) / 1000)
        let ms = Int(millis - Int64(seconds) * 1000)
        var t = tm()
        gmtime_r(&seconds, &t)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(Int(t.tm_year) + 1900, 4))-\(pad(Int(t.tm_mon) + 1, 2))-\(pad(Int(t.tm_mday), 2))T"
            + "\(pad(Int(t.tm_hour), 2)):\(pad(Int(t.tm_min), 2)):\(pad(Int(t.tm_sec), 2)).\(pad(ms, 3))Z"
    }

    static func appendValue(_ value: Logger.Metadata.Value, to out: inout String) {
        switch value {
        case .string(let s):
            appendString(s, to: &out)
        case .stringConvertible(let c):
            appendString(c.description, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                appendValue(item, to: &out)
            }
            out += "]"
        case .dictionary(let dict):
            out += "{"
            for (i, key) in dict.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                appendString(key, to: &out)
                out += ":"
                if let item = dict[key] { appendValue(item, to: &out) }
            }
            out += "}"
        }
    }

    /// A JSON string literal: quote, backslash and control characters escaped, other text kept as UTF-8.
    static func appendString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{00}"..."\u{1F}", "\u{7F}":
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    private static let standardError: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { buf -> Int in
                guard let base = buf.baseAddress else { return 0 }
                return write(STDERR_FILENO, base, buf.count)
            }
            if n < 0 && errno == EINTR { continue }
            // Nowhere to report a failing stderr; dropping the line beats spinning forever.
            guard n > 0 else { return }
            bytes = bytes.dropFirst(n)
        }
    }
}
