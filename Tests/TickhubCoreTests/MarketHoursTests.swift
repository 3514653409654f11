import Foundation
import Testing
import TickhubCore

@Suite struct MarketHoursTests {
    let stock = Instrument(symbol: "AAPL", securityType: .stock, root: "AAPL", currency: "USD", exchange: "SMART")

    func newYork(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "America/New_York")
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
        return formatter.date(from: text)!
    }

    @Test func theRegularSessionIsNineThirtyToFourNewYorkTimeOnWeekdays() {
        #expect(MarketHours.isOpen(stock, at: newYork("2025-07-15T09:30:00")))
        #expect(MarketHours.isOpen(stock, at: newYork("2025-07-15T15:59:00")))
        #expect(!MarketHours.isOpen(stock, at: newYork("2025-07-15T16:00:00")))
        #expect(!MarketHours.isOpen(stock, at: newYork("2025-07-15T09:29:00")))
        #expect(!MarketHours.isOpen(stock, at: newYork("2025-07-19T12:00:00")))  // a Saturday
        // Winter: the same New York hours, five hours from UTC rather than four.
        #expect(MarketHours.isOpen(stock, at: newYork("2025-01-15T09:30:00")))
        #expect(!MarketHours.isOpen(stock, at: newYork("2025-01-15T16:00:00")))
    }

    @Test func theCloseFollowsTheZoneDatabaseAcrossDaylightChanges() throws {
        // 2025: daylight time from 9 March to 2 November; the change days close in the new offset.
        let hours: [(Int, Int, Int)] = [(3, 7, 21), (3, 10, 20), (10, 31, 20), (11, 3, 21)]
        for (month, day, utcHour) in hours {
            let close = try #require(MarketHours.regularClose(year: 2025, month: month, day: day))
            var utc = Calendar(identifier: .gregorian)
            utc.timeZone = TimeZone(identifier: "UTC")!
            #expect(utc.component(.hour, from: close) == utcHour, "2025-\(month)-\(day)")
        }
    }
}
