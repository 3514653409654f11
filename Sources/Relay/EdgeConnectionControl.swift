import Hub
import Logging
import NATSLink
import ScaleOut
import Synchronization
import TickhubCore

/// `/api/ibkr/*` on an edge: the broker link is the leading ingest's, so its status and the user's switch are
/// requests to it (`control.ibkr.*`), each answered with the status after the command. While no leader answers, the
/// last status heard is reported as unreachable from here, with why, never as the ready link it may have been.
public final class EdgeConnectionControl: ConnectionControl {
    private let connection: NATSConnection
    private let subjects: RelaySubjects
    private let timeout: Duration
    private let last = Mutex<BrokerConnectionStatus?>(nil)
    private let logger: Logger

    init(connection: NATSConnection, subjects: RelaySubjects, timeout: Duration, logger: Logger) {
        self.connection = connection
        self.subjects = subjects
        self.timeout = timeout
        self.logger = logger
    }

    /// The status as the feed relayed it.
    func heard(_ status: BrokerConnectionStatus) {
        last.withLock { $0 = status }
    }

    public func status() async -> BrokerConnectionStatus? {
        await ask(.ibkrStatus)
    }

    public func setConnected(_ connected: Bool) async {
        _ = await ask(connected ? .ibkrConnect : .ibkrDisconnect)
    }

    private func ask(_ command: RelayControl) async -> BrokerConnectionStatus? {
        let why: String
        do {
            // Connecting may take the leader a while (the broker's handshake); the status alone never should.
            let wait = command == .ibkrStatus ? timeout : timeout * 5
            let answer = try await connection.request(subjects.control(command), [], timeout: wait)
            if let refusal = answer.headers[IngestControl.errorHeader] {
                // The leader runs without IBKR: the same answer the ingest itself gives.
                logger.info("\(command.rawValue): \(refusal)")
                return nil
            }
            let status = try BrokerStatusMessage(json: answer.data).status
            last.withLock { $0 = status }
            return status
        } catch let error as NATSError {
            why = error == .noResponders ? "no ingest is running" : "no ingest answered (\(error))"
        } catch {
            why = "the ingest's answer could not be read: \(error)"
        }
        logger.warning("\(command.rawValue) not carried out: \(why)")
        var status = last.withLock { $0 } ?? BrokerConnectionStatus(state: .disconnected, host: "", port: 0, clientId: 0)
        status.state = .disconnected
        status.lastError = "the broker link is the leading ingest's, and \(why)"
        return status
    }
}
