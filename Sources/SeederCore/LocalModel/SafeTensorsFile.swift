#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A `.safetensors` file, mapped read-only: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the data. The mapping is made in `init` and unmapped in `deinit`;
/// F32 tensors are used in place from it.
///
/// The file is untrusted: the header's length is bounded, and every tensor's dtype, shape and offsets are checked
/// (in range, matching the shape's size, not overlapping) before anything is read, so a bad file throws a
/// ``LocalModelError`` rather than reading out of bounds.
public final class SafeTensorsFile: @unchecked Sendable {  // immutable after init; the mapping is read-only
    /// One tensor as the header describes it (offsets are relative to the start of the file).
    public struct Entry: Sendable, Equatable {
        public var dtype: String
        public var shape: [Int]
        public var byteOffset: Int
        public var byteCount: Int
    }

    /// The largest header accepted (the format's reference implementation has the same limit).
    public static let maxHeaderBytes = 100 << 20

    /// The path as given, for error messages.
    public let path: String
    /// Every tensor in the file, by name (`__metadata__` excluded).
    public let entries: [String: Entry]
    private let base: UnsafeRawPointer
    private let size: Int

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw LocalModelError(.missingFile, path: path, message: "cannot open the weights file: \(String(cString: strerror(errno)))",
                                  hint: "fetch the model again (scripts/fetch-model)")
        }
        defer { close(fd) }  // the mapping stays valid after the descriptor is closed
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw LocalModelError(.missingFile, path: path, message: "not a regular file")
        }
        let size = Int(info.st_size)
        guard size >= 8 else {
            throw LocalModelError(.malformed, path: path, message: "the file is \(size) bytes, too short for a safetensors header",
                                  hint: "the download may be truncated: fetch the model again")
        }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw LocalModelError(.missingFile, path: path, message: "cannot map the weights file: \(String(cString: strerror(errno)))")
        }
        let base = UnsafeRawPointer(mapped)
        do {
            entries = try Self.parseHeader(base: base, size: size, path: path)
        } catch {
            munmap(mapped, size)
            throw error
        }
        self.base = base
        self.size = size
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), size)
    }

    /// The tensor `name` as F32: in place when stored as 4-byte-aligned F32, converted from F16 or BF16 (or a
    /// misaligned F32) into a buffer of its own. Throws `.badWeights` when it is missing or of another dtype.
    public func floats(_ name: String) throws -> FloatTensor {
        guard let entry = entries[name] else {
            throw LocalModelError(.badWeights, path: path, message: "no tensor named \(name)",
                                  hint: "the weights don't match config.json: fetch the model again")
        }
        let source = base + entry.byteOffset
        let count = entry.byteCount / max(Self.elementSize(entry.dtype) ?? 1, 1)
        switch entry.dtype {
        case "F32" where Int(bitPattern: source) % MemoryLayout<Float>.alignment == 0:
            return FloatTensor(name: name, shape: entry.shape, pointer: source.assumingMemoryBound(to: Float.self), owner: self)
        case "F32":
            return FloatTensor(name: name, shape: entry.shape) { out in
                UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(start: source, count: entry.byteCount))
            }
        case "F16":
            return FloatTensor(name: name, shape: entry.shape) { out in
                for i in 0..<count { out[i] = Self.floatFromHalf(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) }
            }
        case "BF16":
            return FloatTensor(name: name, shape: entry.shape) { out in
                for i in 0..<count {
                    let bits = source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian
                    out[i] = Float(bitPattern: UInt32(bits) << 16)
                }
            }
        default:
            throw LocalModelError(.badWeights, path: path, message: "tensor \(name) is \(entry.dtype); seeder reads F32, F16 and BF16 weights",
                                  hint: "use a float checkpoint of the model (quantized weights are not supported)")
        }
    }

    /// Bytes per element of the dtypes the format defines; nil for any other (allowed in the file as long as it
    /// isn't asked for, so an odd auxiliary tensor doesn't stop a model from loading).
    static func elementSize(_ dtype: String) -> Int? {
        switch dtype {
        case "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3": 1
        case "I16", "U16", "F16", "BF16": 2
        case "I32", "U32", "F32": 4
        case "I64", "U64", "F64": 8
        default: nil
        }
    }

    /// IEEE binary16 → binary32, exactly (subnormals, infinities and NaNs included).
    static func floatFromHalf(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2^-24, exact in binary32.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 31:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
        }
    }

    /// The header's JSON, one key per tensor.
    private struct Header: Decodable {
        var tensors: [String: RawEntry] = [:]

        struct RawEntry: Decodable {
            var dtype: String
            var shape: [Int]
            var data_offsets: [Int]
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys where key.stringValue != "__metadata__" {
                tensors[key.stringValue] = try container.decode(RawEntry.self, forKey: key)
            }
        }
    }

    private static func parseHeader(base: UnsafeRawPointer, size: Int, path: String) throws -> [String: Entry] {
        func malformed(_ message: String) -> LocalModelError {
            LocalModelError(.malformed, path: path, message: message, hint: "the file is damaged or not a safetensors file: fetch the model again")
        }
        let declared = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(min(size - 8, maxHeaderBytes)) else {
            throw malformed("the header length (\(declared) bytes) goes beyond the file's \(size) bytes or the \(maxHeaderBytes >> 20) MiB limit")
        }
        let headerBytes = Int(declared)
        let data = Data(bytes: base + 8, count: headerBytes)
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch {
            throw malformed("the JSON header can't be read: \(Self.describe(error))")
        }
        let dataStart = 8 + headerBytes
        let dataSize = size - dataStart
        var entries: [String: Entry] = [:]
        var ranges: [(begin: Int, end: Int, name: String)] = []
        for (name, raw) in header.tensors {
            guard raw.data_offsets.count == 2 else { throw malformed("tensor \(name): data_offsets must be [begin, end]") }
            let begin = raw.data_offsets[0], end = raw.data_offsets[1]
            guard 0 <= begin, begin <= end, end <= dataSize else {
                throw malformed("tensor \(name): data_offsets [\(begin), \(end)] are outside the \(dataSize) bytes of data")
            }
            var elements = 1
            for dimension in raw.shape {
                guard dimension >= 0 else { throw malformed("tensor \(name): negative dimension in shape \(raw.shape)") }
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw malformed("tensor \(name): shape \(raw.shape) is too large") }
                elements = product
            }
            if let width = elementSize(raw.dtype) {
                let (bytes, overflow) = elements.multipliedReportingOverflow(by: width)
                guard !overflow, bytes == end - begin else {
                    throw malformed("tensor \(name): \(raw.dtype) \(raw.shape) needs \(overflow ? "too many" : String(bytes)) bytes but data_offsets span \(end - begin)")
                }
            }
            entries[name] = Entry(dtype: raw.dtype, shape: raw.shape, byteOffset: dataStart + begin, byteCount: end - begin)
            ranges.append((begin, end, name))
        }
        ranges.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        for (previous, next) in zip(ranges, ranges.dropFirst()) where next.begin < previous.end {
            throw malformed("tensors \(previous.name) and \(next.name) overlap")
        }
        return entries
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): "invalid JSON (\(context.debugDescription))"
        case DecodingError.keyNotFound(let key, let context): "missing \(key.stringValue) in \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default: "\(error)"
        }
    }
}
