/// A shard could not be opened, read or written.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var shard: ShardLocation
    public var message: String
    public var hint: String?

    public init(shard: ShardLocation, message: String, hint: String? = nil) {
        self.shard = shard
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var s = "shard \(shard.name) (\(shard.displayPath)): \(message)"
        if let hint { s += " — \(hint)" }
        return s
    }
}
