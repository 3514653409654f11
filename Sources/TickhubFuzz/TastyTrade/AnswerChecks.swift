import FuzzSupport
import TastyTrade
import TickhubCore

func checkPosition(_ position: TastyPosition) {
    invariant(position.quantity.isFinite, "a quantity of \(position.quantity)")
    invariant(position.multiplier.isFinite && position.multiplier > 0, "a multiplier of \(position.multiplier)")
    switch position.quantityDirection {
    case "Short": invariant(position.quantity <= 0, "a Short of \(position.quantity)")
    case "Long": invariant(position.quantity >= 0, "a Long of \(position.quantity)")
    case "Zero": invariant(position.quantity == 0, "a Zero of \(position.quantity)")
    default: violated("direction \(position.quantityDirection) accepted")
    }
    for figure in [position.averageOpenPrice, position.closePrice, position.mark, position.realizedDayGain] {
        if let figure { invariant(figure.isFinite, "a position figure of \(figure)") }
    }
}

func checkStreamer(_ messages: [AccountStreamerMessage]) {
    for message in messages {
        guard case let .notification(type, data, _) = message else { continue }
        invariant(!type.isEmpty, "a notification without a type")
        // A notification's object goes to the reader its type names; whatever it gives must hold up too.
        switch type {
        case "CurrentPosition": if let position = try? TastyPosition(object: data) { checkPosition(position) }
        case "AccountBalance":
            if let balance = try? TastyBalance(object: data) {
                invariant((try? TastyBalance(json: balance.json)) == balance, "streamed balances did not survive their encoding")
            }
        default: break
        }
    }
    let again = try? AccountStreamerMessage.decode(AccountStreamerMessage.batchJSON(messages))
    invariant(again == messages, "streamer messages did not survive their encoding")
    if messages.count == 1 {
        invariant((try? AccountStreamerMessage.decode(messages[0].json)) == messages, "a streamer message did not survive alone")
    }
}
