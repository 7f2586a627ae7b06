#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Finding a short byte string in a large buffer: `memchr` for its first byte, `memcmp` for the rest.
///
/// (glibc's `memmem` is not visible to Swift without `_GNU_SOURCE`.) The needles here start with `<`, which XML
/// character data never holds raw, so `memchr` stops only at markup and runs at memory speed over the text.
enum ByteSearch {
    /// The offset of the first `needle` in `haystack` at or after `from`.
    static func find(_ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer, from: Int) -> Int? {
        guard let base = haystack.baseAddress, let needleBase = needle.baseAddress, needle.count > 0 else { return nil }
        let first = Int32(needle[0])
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            guard let hit = memchr(base + i, first, last - i + 1) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(hit, needleBase, needle.count) == 0 { return at }
            i = at + 1
        }
        return nil
    }
}
