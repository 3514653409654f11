import AsyncHTTPClient
import Foundation
import Hub
import Logging
import NIOCore
import Store
import TickhubCore

/// Takes a fired alert to one of its rule's targets: a webhook POST of the stream's alert object, or a Telegram
/// Bot API `sendMessage`. A failure that another try may mend (no answer, a 5xx, 408, 425, 429) is retried with
/// TickhubCore's backoff up to `deliveryAttempts`; every attempt's outcome is kept in the database, where
/// `GET /api/alerts/deliveries` shows it. The bot token is in the request's path only: never in the log, the
/// database or a response.
struct AlertCourier: Sendable {
    let client: HTTPClient
    let store: PositionStore
    let configuration: AlertsConfiguration
    let clock: WallClock
    let logger: Logger

    /// What one attempt came to.
    struct Outcome: Sendable {
        var delivered: Bool
        var status: Int?
        var detail: String
        /// Another attempt would fail the same way (a 4xx, no token, no URL).
        var final: Bool
    }

    func deliver(_ fired: AlertFired, to target: AlertTarget) async {
        let (type, address) = DeliveryAddress.describe(target)
        let delivery: Int64
        do {
            delivery = try await store.beginAlertDelivery(fired, targetType: type, target: address)
        } catch {
            // Unrecorded is better than undelivered: the attempts go ahead, logged.
            logger.error("cannot record the delivery of alert \(fired.id) to \(type) \(address): \(error)")
            delivery = -1
        }
        let backoff = Backoff(initial: configuration.retryInitialSeconds, cap: configuration.retryCapSeconds)
        for attempt in 1...configuration.deliveryAttempts {
            let started = clock.now()
            let outcome = await send(fired, to: target)
            let elapsed = max(0, clock.now().microseconds(since: started) / 1_000)
            let state: AlertDelivery.State = outcome.delivered ? .delivered
                : outcome.final || attempt == configuration.deliveryAttempts ? .failed : .pending
            if delivery >= 0 {
                let record = AlertDelivery.Attempt(
                    attempt: attempt, at: started.milliseconds, delivered: outcome.delivered, status: outcome.status,
                    detail: outcome.detail, durationMs: elapsed)
                do { try await store.recordAlertAttempt(record, delivery: delivery, state: state) } catch {
                    logger.error("cannot record attempt \(attempt) of delivery \(delivery): \(error)")
                }
            }
            let metadata: Logger.Metadata = [
                "alert": "\(fired.id)", "target": "\(type) \(address)", "attempt": "\(attempt)", "outcome": "\(outcome.detail)",
            ]
            switch state {
            case .delivered:
                logger.info("alert delivered", metadata: metadata)
                return
            case .failed:
                logger.warning("alert delivery failed for good", metadata: metadata)
                return
            case .pending:
                logger.notice("alert delivery failed; retrying", metadata: metadata)
                let seconds = backoff.delay(attempt: attempt, unit: Double.random(in: 0..<1))
                do { try await Task.sleep(for: .seconds(seconds)) } catch { return }
            }
        }
    }

    func send(_ fired: AlertFired, to target: AlertTarget) async -> Outcome {
        switch target {
        case let .webhook(url):
            return await post(url: url, body: EncodedAlert.encode(fired), secret: nil) { _ in nil }
        case let .telegram(chatId):
            guard let token = configuration.telegramBotToken else {
                return Outcome(delivered: false, status: nil, detail: "no Telegram bot token: set TELEGRAM_BOT_TOKEN", final: true)
            }
            let base = configuration.telegramBaseURL.hasSuffix("/") ? String(configuration.telegramBaseURL.dropLast()) : configuration.telegramBaseURL
            return await post(url: "\(base)/bot\(token)/sendMessage", body: TelegramMessage.body(chatId: chatId, fired), secret: token,
                              explain: TelegramMessage.description)
        }
    }

    /// One POST of a JSON body; `explain` reads what the answer's body says went wrong, when it says.
    private func post(url: String, body: [UInt8], secret: String?, explain: @Sendable (Data) -> String?) async -> Outcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "tickhub-alerts")
        request.body = .bytes(body)
        do {
            let timeout = TimeAmount.milliseconds(Int64(configuration.deliveryTimeoutSeconds * 1_000))
            let response = try await client.execute(request, timeout: timeout)
            let answer = try await response.body.collect(upTo: 64 << 10)
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return Outcome(delivered: true, status: status, detail: "HTTP \(status)", final: false) }
            var detail = "HTTP \(status) \(response.status.reasonPhrase)"
            if let said = explain(Data(answer.readableBytesView)) { detail += ": " + said }
            let retryable = status >= 500 || [408, 425, 429].contains(status)
            return Outcome(delivered: false, status: status, detail: DeliveryAddress.scrub(detail, secret: secret), final: !retryable)
        } catch let error as HTTPClientError where error == .invalidURL || error == .emptyHost || error == .emptyScheme {
            return Outcome(delivered: false, status: nil, detail: "not a URL the hub can reach", final: true)
        } catch {
            return Outcome(delivered: false, status: nil, detail: DeliveryAddress.scrub(String(describing: error), secret: secret), final: false)
        }
    }
}
