import ClientPortal
import Foundation
import Testing

@Suite("Session answers")
struct SessionAnswerTests {
    @Test func authStatusStates() throws {
        let up = try AuthStatus.decode(try Recordings.data("auth_status.json"))
        #expect(up.authenticated && up.connected && !up.competing)
        #expect(up.serverName == "JifN19053" && up.serverVersion?.hasPrefix("Build 10.30") == true)
        let competing = try AuthStatus.decode(try Recordings.data("auth_status_competing.json"))
        #expect(competing.competing && !competing.authenticated)
        let down = try AuthStatus.decode(try Recordings.data("auth_status_not_authenticated.json"))
        #expect(!down.authenticated && !down.connected)
    }

    @Test func authStatusRefusesWhatIsNotOne() {
        for body in ["[]", "{}", #"{"message":"hi"}"#, "", "<html>Login</html>"] {
            #expect(throws: ClientPortalDecodingError.self, "\(body)") { try AuthStatus.decode(Data(body.utf8)) }
        }
        // Loose flags: "true" as text, 1 as a number.
        let loose = try? AuthStatus.decode(Data(#"{"authenticated":"true","connected":1}"#.utf8))
        #expect(loose?.authenticated == true && loose?.connected == true)
    }

    @Test func tickleGivesTheSessionAndItsState() throws {
        let answer = try TickleAnswer.decode(try Recordings.data("tickle.json"))
        #expect(answer.session == "bb665d0f55b6289d70bc3a2fd4bd4d1d")
        #expect(answer.ssoExpires == 460_311 && !answer.collision && answer.userId == "123456789")
        #expect(answer.authStatus?.authenticated == true)
        let early = try TickleAnswer.decode(try Recordings.data("tickle_no_brokerage_session.json"))
        #expect(early.userId == "123456789")
        #expect(early.authStatus == nil)
        #expect(throws: ClientPortalDecodingError.self) { try TickleAnswer.decode(Data(#"{"session":""}"#.utf8)) }
        #expect(throws: ClientPortalDecodingError.self) { try TickleAnswer.decode(Data(#"{"iserver":{}}"#.utf8)) }
    }

    @Test func brokerageAccounts() throws {
        let accounts = try BrokerageAccounts.decode(try Recordings.data("iserver_accounts.json"))
        #expect(accounts.accounts == ["DU1234567"] && accounts.selectedAccount == "DU1234567")
        #expect(throws: ClientPortalDecodingError.self) { try BrokerageAccounts.decode(Data("[]".utf8)) }
    }

    /// What the simulator writes is what the transport reads.
    @Test func encodersReadBack() throws {
        for status in [AuthStatus(authenticated: true, serverName: "sim", serverVersion: "1"), AuthStatus(authenticated: false, competing: true, connected: true, message: "x\"y", fail: "bad")] {
            #expect(try AuthStatus.decode(Data(status.json.utf8)) == status)
        }
        let tickle = TickleAnswer(session: "abc", ssoExpires: 60_000, collision: true, userId: "007", authStatus: AuthStatus(authenticated: true))
        #expect(try TickleAnswer.decode(Data(tickle.json.utf8)) == tickle)
        let accounts = BrokerageAccounts(accounts: ["DU1", "DU2"], selectedAccount: "DU2")
        #expect(try BrokerageAccounts.decode(Data(accounts.json.utf8)) == accounts)
    }
}
