import Foundation
import TickhubCore

/// European option value and sensitivities without dividends: how the simulated market prices an option from its
/// underlying, and the greeks it streams in tickOptionComputation.
struct BlackScholes: Equatable {
    var right: OptionTerms.Right
    var strike: Double
    /// Annualized, a fraction.
    var rate: Double

    struct Valuation: Equatable {
        var price: Double
        /// Per 1.00 of the underlying.
        var delta: Double
        var gamma: Double
        /// Per point (0.01) of volatility.
        var vega: Double
        /// Per calendar day.
        var theta: Double
    }

    /// The option at underlying `spot`, `years` to expiry and volatility `sigma` (annualized). At or past expiry,
    /// or with no volatility, it is worth its discounted intrinsic value.
    func value(spot: Double, years: Double, sigma: Double) -> Valuation {
        let discount = exp(-rate * max(0, years))
        guard years > 0, sigma > 0, spot > 0 else {
            let inTheMoney = right == .call ? spot > strike * discount : spot < strike * discount
            let intrinsic = max(0, right == .call ? spot - strike * discount : strike * discount - spot)
            let delta: Double = inTheMoney ? (right == .call ? 1 : -1) : 0
            return Valuation(price: intrinsic, delta: delta, gamma: 0, vega: 0, theta: 0)
        }
        let root = sqrt(years)
        let d1 = (log(spot / strike) + (rate + sigma * sigma / 2) * years) / (sigma * root)
        let d2 = d1 - sigma * root
        let density = exp(-d1 * d1 / 2) / sqrt(2 * .pi)
        let decay = -spot * density * sigma / (2 * root)
        let gamma = density / (spot * sigma * root)
        let vega = spot * density * root / 100
        switch right {
        case .call:
            let price = spot * Self.cdf(d1) - strike * discount * Self.cdf(d2)
            let theta = (decay - rate * strike * discount * Self.cdf(d2)) / 365
            return Valuation(price: max(0, price), delta: Self.cdf(d1), gamma: gamma, vega: vega, theta: theta)
        case .put:
            let price = strike * discount * Self.cdf(-d2) - spot * Self.cdf(-d1)
            let theta = (decay + rate * strike * discount * Self.cdf(-d2)) / 365
            return Valuation(price: max(0, price), delta: Self.cdf(d1) - 1, gamma: gamma, vega: vega, theta: theta)
        }
    }

    /// The volatility at which the model is worth `price`; nil when no volatility is (a price at or below the
    /// discounted intrinsic value, or above what any volatility gives).
    func impliedVolatility(price: Double, spot: Double, years: Double) -> Double? {
        guard years > 0, price > 0 else { return nil }
        var low = 0.001, high = 5.0
        guard value(spot: spot, years: years, sigma: low).price < price,
              value(spot: spot, years: years, sigma: high).price > price
        else { return nil }
        // The price rises with volatility: bisection converges without the care Newton needs far from the money.
        for _ in 0..<60 {
            let middle = (low + high) / 2
            if value(spot: spot, years: years, sigma: middle).price < price { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
}
