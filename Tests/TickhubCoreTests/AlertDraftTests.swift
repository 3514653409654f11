import TickhubCore
import Testing

/// Validation of an alert rule as the API receives it: each refusal names its field.
@Suite("Alert draft")
struct AlertDraftTests {
    static let now: Int64 = 1_765_000_000_000

    static func refusal(_ draft: AlertDraft) -> AlertValidationError? {
        do {
            _ = try draft.validated(id: "id", now: now)
            return nil
        } catch {
            return error
        }
    }

    @Test func aValidDraftBecomesARule() throws {
        let draft = AlertDraft(symbol: "btc", condition: "above", level: 90_000, cooldownSeconds: 60,
                               expiresAt: Self.now + 1, targets: [.webhook(url: "https://example.com/hook")])
        let rule = try draft.validated(id: "a1", now: Self.now, currentPrice: 89_000)
        #expect(rule == AlertRule(id: "a1", symbol: "BTC", condition: .above, level: 90_000, reference: .previousClose,
                                  cooldownSeconds: 60, expiresAt: Self.now + 1, allowDelayed: false,
                                  targets: [.webhook(url: "https://example.com/hook")], createdAt: Self.now))
    }

    @Test func changePercentFromCreationKeepsTheCurrentPrice() throws {
        let draft = AlertDraft(symbol: "AAPL", condition: "changePercent", level: -2.5, reference: "creation")
        #expect(try draft.validated(id: "a", now: Self.now, currentPrice: 180).referencePrice == 180)
        #expect(try draft.validated(id: "a", now: Self.now).referencePrice == nil)
    }

    @Test func eachRefusalNamesItsField() {
        let base = AlertDraft(symbol: "AAPL", condition: "above", level: 100)
        func with(_ change: (inout AlertDraft) -> Void) -> AlertDraft {
            var draft = base
            change(&draft)
            return draft
        }
        let cases: [(AlertDraft, AlertValidationError, String)] = [
            (with { $0.condition = "sideways" }, .unknownCondition("sideways"), "condition"),
            (with { $0.reference = "yesterday" }, .unknownReference("yesterday"), "reference"),
            (with { $0.level = .nan }, .levelNotFinite("nan"), "level"),
            (with { $0.level = .infinity }, .levelNotFinite("inf"), "level"),
            (with { $0.condition = "changePercent"; $0.level = 0 }, .changePercentZero, "level"),
            (with { $0.condition = "changePercent"; $0.level = -100 }, .changePercentBeyondTotalLoss("-100.0"), "level"),
            (with { $0.cooldownSeconds = -1 }, .cooldownNegative(-1), "cooldownSeconds"),
            (with { $0.targets = [.webhook(url: "ftp://example.com/x")] }, .targetURLInvalid("ftp://example.com/x"), "targets"),
            (with { $0.targets = [.webhook(url: "javascript:alert(1)")] }, .targetURLInvalid("javascript:alert(1)"), "targets"),
            (with { $0.targets = [.webhook(url: "https:///nohost")] }, .targetURLInvalid("https:///nohost"), "targets"),
            (with { $0.targets = [.telegram(chatId: " ")] }, .targetChatIdEmpty, "targets"),
            (with { $0.expiresAt = Self.now }, .expiryInPast(expiresAt: Self.now, now: Self.now), "expiresAt"),
        ]
        for (draft, error, field) in cases {
            let refusal = Self.refusal(draft)
            #expect(refusal == error)
            #expect(refusal?.field == field)
            #expect(!(refusal?.description.isEmpty ?? true))
        }
        if case .invalidSymbol = Self.refusal(with { $0.symbol = "" }) {} else { Issue.record("empty symbol accepted") }
        #expect(Self.refusal(with { $0.symbol = "" })?.field == "symbol")
    }

    @Test func messagesSayWhatToDo() {
        #expect(AlertValidationError.unknownCondition("up").description
            == "\"up\" is not a condition; use one of above, below, crosses, changePercent")
        #expect(AlertValidationError.targetURLInvalid("ftp://x").description.contains("http:// or https://"))
    }

    @Test func aNegativePriceLevelIsAccepted() throws {
        // Futures can trade below zero (crude oil, April 2020).
        let draft = AlertDraft(symbol: "CL", condition: "below", level: -5)
        #expect(try draft.validated(id: "a", now: Self.now).level == -5)
    }

    @Test func webhookAndTelegramTargetsAreAccepted() throws {
        let draft = AlertDraft(symbol: "AAPL", condition: "crosses", level: 1,
                               targets: [.webhook(url: "HTTP://localhost:8080/x"), .telegram(chatId: "-100123")])
        #expect(try draft.validated(id: "a", now: Self.now).targets.count == 2)
    }
}
