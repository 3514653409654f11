import Testing
import TickhubCore

@testable import Alerts

/// What the log, the database and `GET /api/alerts/deliveries` may show of a target.
@Suite struct DeliveryAddressTests {
    @Test func aWebhookURLLosesItsCredentialsQueryAndFragment() {
        #expect(DeliveryAddress.redacted(url: "https://user:pa55@hooks.example.net:8443/a/b?token=s3cret#x") == "https://hooks.example.net:8443/a/b?…")
        #expect(DeliveryAddress.redacted(url: "HTTP://Example.com/hook") == "http://Example.com/hook")
        #expect(DeliveryAddress.redacted(url: "not a url") == "(not a URL)")
        #expect(DeliveryAddress.describe(.telegram(chatId: "-100")) == ("telegram", "-100"))
    }

    @Test func aSecretIsScrubbedFromWhatAnErrorSaidAndTheTextIsCut() {
        let text = DeliveryAddress.scrub("POST /bot1:ABC/sendMessage failed\nagain 1:ABC", secret: "1:ABC", limit: 40)
        #expect(!text.contains("ABC") && !text.contains("\n"))
        #expect(DeliveryAddress.scrub(String(repeating: "x", count: 300), secret: nil).count == 201)
    }
}
