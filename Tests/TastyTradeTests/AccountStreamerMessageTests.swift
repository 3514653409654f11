import TastyTrade
import TickhubCore
import Testing

@Suite("TastyTrade account streamer")
struct AccountStreamerMessageTests {
    @Test func acknowledgementAndRefusal() throws {
        let ack = try AccountStreamerMessage.decode(
            #"{"status":"ok","action":"connect","web-socket-session-id":"ws-1a2b","value":["5WT00001"],"request-id":2}"#)
        #expect(ack == [.ack(action: "connect", requestID: 2, sessionID: "ws-1a2b")])
        let refused = try AccountStreamerMessage.decode(
            #"{"status":"error","action":"heartbeat","web-socket-session-id":"ws-1a2b","message":"connect-not-completed","request-id":1}"#)
        #expect(refused == [.refused(action: "heartbeat", message: "connect-not-completed")])
    }

    @Test func notificationsOneOrBatched() throws {
        let one = try AccountStreamerMessage.decode(
            #"{"type":"AccountBalance","data":{"account-number":"5WT00001","cash-balance":"100.5"},"timestamp":1688595114405}"#)
        guard case let .notification(type, data, timestamp)? = one.first else { Issue.record("not a notification"); return }
        #expect(one.count == 1 && type == "AccountBalance" && timestamp == 1_688_595_114_405)
        #expect(try TastyBalance(object: data).cashBalance == 100.5)

        let batch = #"""
            {"results":[
              {"type":"CurrentPosition","data":{"account-number":"5WT00001","symbol":"AAPL","instrument-type":"Equity","quantity":"110","quantity-direction":"Long","multiplier":1},"timestamp":1},
              {"type":"AccountBalance","data":{"account-number":"5WT00001","net-liquidating-value":"1.0"},"timestamp":2},
              {"type":"Order","data":{"id":123,"status":"Filled"},"timestamp":3}
            ]}
            """#
        let messages = try AccountStreamerMessage.decode(batch)
        #expect(messages.count == 3)
        guard case let .notification("CurrentPosition", position, 1)? = messages.first else { Issue.record("no position first"); return }
        #expect(try TastyPosition(object: position).quantity == 110)
        #expect(try AccountStreamerMessage.decode(AccountStreamerMessage.batchJSON(messages)) == messages)
    }

    @Test func malformedFramesAreClearErrors() {
        for frame in ["", "{", "[]", #"{"results":{}}"#, #"{"results":[1]}"#, #"{"type":"CurrentPosition"}"#, #"{"status":"maybe"}"#, #"{"hello":1}"#] {
            #expect(throws: TastyTradeFormatError.self, "\(frame)") { try AccountStreamerMessage.decode(frame) }
        }
    }

    @Test func requestsBothWays() throws {
        let connect = AccountStreamerRequest.connect(accounts: ["5WT00001", "5WT00002"], authToken: "Bearer abc", requestID: 2)
        #expect(connect.json == #"{"action":"connect","value":["5WT00001","5WT00002"],"auth-token":"Bearer abc","request-id":2}"#)
        #expect(try AccountStreamerRequest(json: Array(connect.json.utf8)) == connect)
        let heartbeat = AccountStreamerRequest.heartbeat(authToken: "Bearer abc", requestID: 3)
        #expect(try AccountStreamerRequest(json: Array(heartbeat.json.utf8)) == heartbeat)
        #expect(throws: TastyTradeFormatError.self) { try AccountStreamerRequest(json: Array(#"{"action":"connect","value":["A"]}"#.utf8)) }
        // One account may come as a plain string.
        #expect(try AccountStreamerRequest(json: Array(#"{"action":"connect","value":"5WT00001","auth-token":"t","request-id":1}"#.utf8)).value == ["5WT00001"])
        #expect(throws: TastyTradeFormatError.self) {
            try AccountStreamerRequest(json: Array(#"{"action":"connect","value":[5],"auth-token":"t"}"#.utf8))
        }
    }

    @Test func aNotificationWrittenFromTextReadsBack() throws {
        let position = TastyPosition(accountNumber: "5WT00001", symbol: "AAPL", instrumentType: .equity, quantity: -3, averageOpenPrice: 200)
        let frame = AccountStreamerMessage.notificationJSON(type: "CurrentPosition", dataJSON: position.json, timestamp: 5)
        guard case let .notification(_, data, 5)? = try AccountStreamerMessage.decode(frame).first else { Issue.record("no notification"); return }
        #expect(try TastyPosition(object: data) == position)
    }
}
