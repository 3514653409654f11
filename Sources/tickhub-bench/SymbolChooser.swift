import TWSSimulator
import TickhubCore

/// Picks a client's symbols: uniformly, or Zipf-distributed so a few symbols are in most watchlists.
struct SymbolChooser {
    let count: Int
    private let cumulative: [Double]
    private var random: SeededGenerator

    init(universeSize: Int, zipf: Bool, seed: UInt64) {
        count = universeSize
        var total = 0.0
        cumulative = (0..<universeSize).map { i in
            total += zipf ? 1 / Double(i + 1) : 1
            return total
        }
        random = SeededGenerator(seed: seed)
    }

    /// Up to `wanted` distinct symbol indices, sorted.
    mutating func pick(_ wanted: Int) -> [Int] {
        var chosen = Set<Int>()
        var attempts = 0
        let wanted = min(wanted, count)
        while chosen.count < wanted && attempts < wanted * 50 {
            let target = random.unit() * cumulative[cumulative.count - 1]
            var low = 0, high = cumulative.count - 1
            while low < high {
                let mid = (low + high) / 2
                if cumulative[mid] < target { low = mid + 1 } else { high = mid }
            }
            chosen.insert(low)
            attempts += 1
        }
        return chosen.sorted()
    }
}
