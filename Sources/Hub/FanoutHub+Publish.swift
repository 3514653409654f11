import HubProtocol
import Foundation
import TickhubCore

/// Quotes pushed by publishers: `/publish` messages and `POST /api/market-data/publish` bodies.
/// See docs/protocol.md, Publishing. The quotes go to the push provider, which the manager treats like any
/// other source; they come back here through `publish(_:receivedAt:)` when push is the symbol's source.
extension FanoutHub {
    /// One complete message from a `/publish` connection. Errors go back to the publisher, one per message,
    /// so a feed sending garbage gets told without being flooded back.
    package func receivePublished(_ bytes: [UInt8], from publisher: ClientSession) {
        let now = Self.nowMicros()
        do {
            var decoded = try publishDecoder.decode(bytes, now: now)
            accept(&decoded, publisher: publisher.id, receivedAt: now)
            if let first = decoded.rejections.first {
                sendError(rejectionMessage(first, count: decoded.rejections.count), to: publisher, earned: false)
            }
        } catch {
            metrics.badPublishMessages += 1
            sendError(errorMessage(code: "bad_json", message: error.message), to: publisher, earned: false)
        }
    }

    /// `POST /api/market-data/publish`: 200 with what was accepted and rejected, 400 when nothing could be read.
    package func publish(_ request: HTTPRequest) -> HTTPResponse {
        guard let required = configuration.publishToken else {
            return .error(403, code: "publishing_disabled", "publishing is disabled: start the hub with TICKHUB_PUBLISH_TOKEN set")
        }
        guard Auth.matches(Auth.presentedToken(request), required) else {
            return .error(401, code: "unauthorized", "publishing needs the publish token: Authorization: Bearer <token>")
        }
        guard request.body.count <= configuration.maxPublishBytes else {
            metrics.badPublishMessages += 1
            return .error(413, code: "too_large", "a publish body may be at most \(configuration.maxPublishBytes) bytes")
        }
        let now = Self.nowMicros()
        var decoded: PublishDecoder.Decoded
        do {
            decoded = try publishDecoder.decode(request.body, now: now)
        } catch {
            metrics.badPublishMessages += 1
            return .error(400, code: "bad_json", error.message)
        }
        accept(&decoded, publisher: nil, receivedAt: now)
        var w = JSONWriter()
        w.beginObject()
        w.field("accepted", decoded.patches.count)
        w.key("rejected")
        w.beginArray()
        for rejection in decoded.rejections.prefix(100) {
            w.beginObject()
            w.field("index", rejection.index)
            w.field("code", rejection.code)
            w.field("message", rejection.message)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        let status = decoded.patches.isEmpty && !decoded.rejections.isEmpty ? 400 : 200
        return .json(status, w.bytes)
    }

    /// Hands the patches to the push provider, which keeps the book they land on, and adds what it refused there
    /// to the decoder's rejections, in message order.
    private func accept(_ decoded: inout PublishDecoder.Decoded, publisher: Int?, receivedAt: Int64) {
        if !decoded.patches.isEmpty {
            let refused = server.backend.push(decoded.patches, publisher: publisher, receivedAt: receivedAt)
            if !refused.isEmpty {
                for refusal in refused {
                    decoded.rejections.append(PublishDecoder.Rejection(
                        index: decoded.patchIndices[refusal.position], code: "bad_quote", message: refusal.reason))
                }
                decoded.rejections.sort { $0.index < $1.index }
                let positions = Set(refused.map(\.position))
                decoded.patches = decoded.patches.enumerated().filter { !positions.contains($0.offset) }.map(\.element)
            }
        }
        metrics.quotesPublished += decoded.patches.count
        metrics.quotesRejected += decoded.rejections.count
    }

    private func rejectionMessage(_ rejection: PublishDecoder.Rejection, count: Int) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "error")
        w.field("code", rejection.code)
        w.field("message", count > 1 ? "\(rejection.message) (and \(count - 1) more rejected in this message)" : rejection.message)
        w.field("index", rejection.index)
        w.field("rejected", count)
        w.endObject()
        return w.bytes
    }
}
