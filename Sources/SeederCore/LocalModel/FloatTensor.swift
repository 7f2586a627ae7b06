/// A read-only F32 tensor: a shape and a pointer to its row-major values, kept valid by `owner` — the
/// ``SafeTensorsFile`` whose mapping holds the values in place, or the ``FloatBuffer`` they were converted or
/// fused into. Copies share the values; nothing writes to them once built.
public struct FloatTensor: @unchecked Sendable {
    /// The tensor's name, for error messages.
    public let name: String
    public let shape: [Int]
    /// `shape`'s product.
    public let count: Int
    /// The first value; valid while this tensor or a copy of it lives (see `withElements`).
    public let pointer: UnsafePointer<Float>
    /// Keeps `pointer`'s memory alive; never read.
    private let owner: AnyObject

    init(name: String, shape: [Int], pointer: UnsafePointer<Float>, owner: AnyObject) {
        self.name = name
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.pointer = pointer
        self.owner = owner
    }

    /// A tensor owning a fresh buffer of `shape`'s size, filled by `fill` (which gets every element to write).
    init(name: String, shape: [Int], fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        let buffer = FloatBuffer(count: shape.reduce(1, *))
        try fill(buffer.elements)
        self.init(name: name, shape: shape, pointer: UnsafePointer(buffer.base), owner: buffer)
    }

    /// Calls `body` with the values, kept alive for the call.
    public func withElements<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try body(UnsafeBufferPointer(start: pointer, count: count)) }
    }

    /// A copy of the values.
    public var values: [Float] { withElements { Array($0) } }
}

/// Heap memory for `count` floats, zeroed on allocation and freed in `deinit`: the one owner of tensors that are
/// not used in place from a mapping, and of the encoder's scratch buffers.
final class FloatBuffer {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        // 64-byte alignment: whole cache lines and aligned SIMD loads for BLAS and the vector loops.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        base = raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
        self.count = count
    }

    deinit {
        base.deallocate()
    }

    var elements: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: base, count: count) }
}
