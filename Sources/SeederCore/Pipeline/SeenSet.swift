/// The texts seen so far in a run, by the first 128 bits of their hash: an open-addressing table of two
/// words per slot, about 23 bytes per text (a `Set<TextHash>` takes over 60). 128 bits make a false
/// "duplicate" impossible in practice (p ≈ n² / 2¹²⁹; for 10⁸ texts, 10⁻²³).
struct SeenSet {
    private var slots: [UInt64]  // pairs (hi, lo); (0, 0) marks an empty slot
    private var mask: Int
    private(set) var count = 0
    private var hasZeroKey = false

    init(capacity: Int = 1 << 16) {
        var size = 1
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size * 2)
        mask = size - 1
    }

    /// Inserts; false when it was already there.
    mutating func insert(_ hash: TextHash) -> Bool {
        let hi = hash.w0, lo = hash.w1
        if hi == 0 && lo == 0 {
            defer { hasZeroKey = true }
            if hasZeroKey { return false }
            count += 1
            return true
        }
        if (count + 1) * 10 > (mask + 1) * 7 { grow() }
        return slots.withUnsafeMutableBufferPointer { s in
            // The key is already uniformly random: its low bits are a good slot index.
            var i = Int(truncatingIfNeeded: lo) & mask
            while true {
                let a = s[2 * i], b = s[2 * i + 1]
                if a == 0 && b == 0 {
                    s[2 * i] = hi
                    s[2 * i + 1] = lo
                    count += 1
                    return true
                }
                if a == hi && b == lo { return false }
                i = (i + 1) & mask
            }
        }
    }

    func contains(_ hash: TextHash) -> Bool {
        let hi = hash.w0, lo = hash.w1
        if hi == 0 && lo == 0 { return hasZeroKey }
        var i = Int(truncatingIfNeeded: lo) & mask
        while true {
            let a = slots[2 * i], b = slots[2 * i + 1]
            if a == 0 && b == 0 { return false }
            if a == hi && b == lo { return true }
            i = (i + 1) & mask
        }
    }

    /// Bytes held, for memory reports.
    var memoryBytes: Int { slots.count * 8 }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        mask = (mask + 1) * 2 - 1
        let zero = hasZeroKey
        count = zero ? 1 : 0
        var i = 0
        while i < old.count {
            if old[i] != 0 || old[i + 1] != 0 {
                _ = insert(TextHash(words: old[i], old[i + 1], 0, 0))
            }
            i += 2
        }
    }
}
