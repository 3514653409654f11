import NIOCore
import TWSProtocol

extension SimulatorEngine {
    func inject(_ fault: Fault) {
        logger.notice("injecting fault \(fault)")
        switch fault {
        case .dropConnections:
            dropAll()
        case let .refuseConnections(seconds):
            dropAll()
            refusingUntil = .now() + .milliseconds(Int64(seconds * 1000))
            let port = boundPort
            listener?.close(promise: nil)
            listener = nil
            let engine = bound
            loop.scheduleTask(in: .milliseconds(Int64(seconds * 1000))) {
                engine.value.refusingUntil = nil
                engine.value.bind(port: port).whenFailure { error in
                    engine.value.logger.error("could not listen again on port \(port): \(error)")
                }
            }
        case let .stall(seconds):
            let until = NIODeadline.now() + .milliseconds(Int64(seconds * 1000))
            for session in sessions.values { session.mutedUntil = until }
        case .connectivityLost:
            linkDown = true
            broadcastNotice(1100, "Connectivity between IB and Trader Workstation has been lost.")
        case let .connectivityRestored(dataLost):
            linkDown = false
            if dataLost {
                // Every reqId-keyed subscription is gone; the client must re-request.
                subscriptions.removeAll()
                // Account data too: IB's 1101 says "market and account data subscription requests must be resubmitted".
                for session in sessions.values {
                    session.accountPnLRequests = [:]
                    session.positionPnLRequests = [:]
                    session.accountSummaryRequests = []
                    session.accountUpdatesAccount = nil
                }
                broadcastNotice(1101, "Connectivity between IB and Trader Workstation has been restored - data lost.")
            } else {
                broadcastNotice(1102,
                    "Connectivity between IB and Trader Workstation has been restored - data maintained. All data farms are connected: usfarm; cashfarm; ushmds; secdefnj.")
            }
        case .farmBroken:
            farmDown = true
            broadcastNotice(2103, "Market data farm connection is broken:usfarm")
        case .farmRestored:
            farmDown = false
            broadcastNotice(2104, "Market data farm connection is OK:usfarm")
        case .competingSession:
            competingSession = true
            for subscription in subscriptions {
                guard let session = sessions[subscription.sessionID] else { continue }
                sendError(to: session, subscription.requestID, 10197, "No market data during competing live session")
                session.flush()
            }
        case .competingSessionEnded:
            competingSession = false
        case let .malformedFrame(kind):
            for session in sessions.values where session.isStarted {
                session.sendRaw(malformedFrame(kind, requestID: subscriptions.first { $0.sessionID == session.id }?.requestID ?? 1))
                session.flush()
            }
        }
    }

    func dropAll() {
        for session in sessions.values { session.channel.close(promise: nil) }
    }

    func malformedFrame(_ kind: Fault.MalformedFrame, requestID: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        switch kind {
        case .badField:
            TWSFraming.writeFrame(into: &buffer) { $0.writeString("1\u{0}6\u{0}\(requestID)\u{0}1\u{0}not-a-price\u{0}100\u{0}0\u{0}") }
        case .hugeLength:
            buffer.writeInteger(UInt32(0x7FFF_FFF0))
            buffer.writeString("1\u{0}6\u{0}")
        case .truncated:
            TWSFraming.writeFrame(into: &buffer) { $0.writeString("1\u{0}6\u{0}\(requestID)\u{0}") }
        }
        return buffer
    }
}
