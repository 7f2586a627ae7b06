import Crypto
import Foundation

/// The vectors and token counts the fake server answers with: a pure function of the text, so a test can compute
/// the expected vector for every input and check that the client stored each one in the right place.
public enum FakeVectors {
    /// A unit-length vector of `dimensions` components seeded by the SHA-256 of the text's UTF-8 bytes.
    public static func vector(for text: String, dimensions: Int) -> [Float] {
        let digest = SHA256.hash(data: Data(text.utf8))
        var seed: UInt64 = 0
        for (i, byte) in digest.prefix(8).enumerated() { seed |= UInt64(byte) << (8 * UInt64(i)) }
        var rng = SplitMix64(seed: seed)
        var v = (0..<max(dimensions, 0)).map { _ in Float(rng.nextUnit() * 2 - 1) }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        // A norm of zero needs every draw to be exactly 0; keep the guard so no division by zero is possible.
        if norm > 0 { v = v.map { $0 / norm } }
        return v
    }

    /// The documented token count: UTF-8 bytes divided by 4, rounded up, at least 1.
    public static func tokens(for text: String) -> Int {
        max(1, (text.utf8.count + 3) / 4)
    }
}

/// A small seeded generator (SplitMix64): deterministic across platforms, unlike the system generator.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence depends only on `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double in [0, 1).
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }
}
