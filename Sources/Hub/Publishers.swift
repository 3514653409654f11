import HubProtocol
import TickhubCore

/// Quotes pushed by publishers: `/publish` messages and `POST /api/market-data/publish` bodies, decoded, handed to
/// the push provider, and answered. See docs/protocol.md, Publishing. The push provider treats them like any other
/// source: when push is the symbol's source they come back through the server's `publish`, to every shard, whichever
/// shard the publisher is connected to.
package struct Publishers {
    private var decoder = PublishDecoder()
    let upstream: any MarketDataUpstream
    let metrics: Metrics

    init(upstream: any MarketDataUpstream, metrics: Metrics) {
        self.upstream = upstream
        self.metrics = metrics
    }

    /// One complete message from a `/publish` connection; the error to send back, if any. Errors go back one per
    /// message, so a feed sending garbage gets told without being flooded back.
    mutating func receive(_ bytes: [UInt8], from publisher: Int, now: Timestamp) -> [UInt8]? {
        do {
            var decoded = try decoder.decode(bytes, now: now.microseconds)
            accept(&decoded, publisher: publisher, receivedAt: now)
            return decoded.rejections.first.map { Self.rejectionMessage($0, count: decoded.rejections.count) }
        } catch {
            metrics.badPublishMessages += 1
            return StreamMessages.error(code: "bad_json", message: error.message)
        }
    }

    /// `POST /api/market-data/publish`: 200 with what was accepted and rejected, 400 when nothing could be read.
    mutating func publish(_ request: HTTPRequest, token: String?, maxBytes: Int, now: Timestamp) -> HTTPResponse {
        guard let required = token else {
            return .error(403, code: "publishing_disabled", "publishing is disabled: start the hub with TICKHUB_PUBLISH_TOKEN set")
        }
        guard Auth.matches(Auth.presentedToken(request), required) else {
            return .error(401, code: "unauthorized", "publishing needs the publish token: Authorization: Bearer <token>")
        }
        guard request.body.count <= maxBytes else {
            metrics.badPublishMessages += 1
            return .error(413, code: "too_large", "a publish body may be at most \(maxBytes) bytes")
        }
        var decoded: PublishDecoder.Decoded
        do {
            decoded = try decoder.decode(request.body, now: now.microseconds)
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
    private func accept(_ decoded: inout PublishDecoder.Decoded, publisher: Int?, receivedAt: Timestamp) {
        if !decoded.patches.isEmpty {
            let refused = upstream.push(decoded.patches, publisher: publisher, receivedAt: receivedAt)
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

    private static func rejectionMessage(_ rejection: PublishDecoder.Rejection, count: Int) -> [UInt8] {
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
