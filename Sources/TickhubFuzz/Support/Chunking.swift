/// How a byte stream is cut into reads, from one byte of fuzz input.
///
/// Sockets deliver whatever the kernel has; a decoder must give the same result for every cut. Below 0x80 the
/// byte is a fixed read size of 1...128 (1 is the byte-at-a-time worst case); from 0x80 the sizes vary, 1...64,
/// drawn from a generator the byte seeds, so cuts land at different offsets within each frame.
public struct Chunking: CustomStringConvertible {
    public let selector: UInt8

    public init(_ selector: UInt8) {
        self.selector = selector
    }

    public var description: String {
        selector < 0x80 ? "reads of \(Int(selector) + 1) bytes" : "varying reads, seed \(selector)"
    }

    /// The read sizes for a stream of `count` bytes; they sum to `count`.
    public func sizes(for count: Int) -> [Int] {
        var sizes: [Int] = []
        var left = count
        var state = UInt32(selector) &* 0x9E37_79B9 | 1
        while left > 0 {
            let size: Int
            if selector < 0x80 {
                size = Int(selector) + 1
            } else {
                // xorshift32: deterministic, so a saved crash input replays the same cuts.
                state ^= state << 13
                state ^= state >> 17
                state ^= state << 5
                size = Int(state % 64) + 1
            }
            sizes.append(min(size, left))
            left -= size
        }
        return sizes
    }
}
