import Hub
import HubProtocol
import CLws
import CLwsShim
import CReadWatch
import Foundation

/// The protocol table lws serves: one protocol for HTTP and `/stream`, so an upgrade without a
/// Sec-WebSocket-Protocol header (what browsers send) binds to it.
final class LwsProtocols: @unchecked Sendable {
    static let shared = LwsProtocols()

    let list: UnsafeMutablePointer<lws_protocols>
    let noValidityChecks: UnsafeMutablePointer<lws_retry_bo_t>
    /// Per-token limits: the URI tokens at `LwsRequestReader.maximumURIPart`, other headers bounded only by the
    /// buffer (0).
    let tokenLimits: UnsafeMutablePointer<lws_token_limits>

    static let readerReceiveBytes = 4 * 1024
    /// lws reads a WebSocket at most one receive buffer per turn of its loop: a publisher read 1 KiB at a time fell
    /// seconds behind at 2,000 updates/s while the loop wrote to a thousand readers between its reads.
    static let publisherReceiveBytes = 64 * 1024

    private init() {
        list = .allocate(capacity: 2)
        // A reader's receive buffer is 4 KiB rather than the 64 KiB service buffer: idle connections are the common
        // case. Not less: with 1 KiB, a 12 KiB message from a client condemned for its errors arrived in a dozen
        // reads, and under load lws then closed it without the close frame that says why (e2e
        // test_a_client_that_never_reads_cannot_inflate_memory_with_errors, 11 failures in 12 on a busy machine).
        // Publishers get more (see `raiseReceiveBuffer`).
        list[0] = lws_protocols(
            name: strdup("tickhub"), callback: lwsCallback, per_session_data_size: MemoryLayout<Int>.size,
            rx_buffer_size: Self.readerReceiveBytes, id: 0, user: nil, tx_packet_size: 0)
        list[1] = lws_protocols()
        noValidityChecks = .allocate(capacity: 1)
        noValidityChecks.initialize(to: lws_retry_bo_t())
        tokenLimits = .allocate(capacity: 1)
        tokenLimits.initialize(to: lws_token_limits())
        withUnsafeMutableBytes(of: &tokenLimits.pointee.token_limit) { raw in
            let slots = raw.bindMemory(to: UInt16.self)
            for token in LwsRequestReader.uriTokens where Int(token.rawValue) < slots.count {
                slots[Int(token.rawValue)] = UInt16(LwsRequestReader.maximumURIPart)
            }
        }
    }
}

/// The one lws callback: a thin switch that hands each event to its context's shard, on that shard's service thread.
let lwsCallback: @convention(c) (OpaquePointer?, lws_callback_reasons, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int) -> Int32 = {
    wsi, reason, user, input, length in
    guard let wsi, let context = lws_get_context(wsi), let owner = lws_context_user(context) else {
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }
    let shard = Unmanaged<LwsShard>.fromOpaque(owner).takeUnretainedValue()
    return shard.handle(wsi: wsi, reason: reason, session: user, input: input, length: length)
}

extension LwsShard {
    /// The per-connection slot lws keeps for us: a client id (WebSocket) or an exchange id (HTTP).
    private func slot(_ session: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<Int>? {
        session?.assumingMemoryBound(to: Int.self)
    }

    func handle(
        wsi: OpaquePointer, reason: lws_callback_reasons, session: UnsafeMutableRawPointer?,
        input: UnsafeMutableRawPointer?, length: Int
    ) -> Int32 {
        guard let hub = confined.hub else { return lws_callback_http_dummy(wsi, reason, session, input, length) }
        if confined.raisedReceiveBuffer != nil, reason != LWS_CALLBACK_ADD_HEADERS { restoreReceiveBuffer() }
        if reason == LWS_CALLBACK_RECEIVE || reason == LWS_CALLBACK_HTTP { catchUp() }
        switch reason {
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            drain()
            flushSoon(hub)
            return 0

        case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
            guard let refusal = refuseUpgrade(wsi) else {
                if LwsRequestReader.header(wsi, WSI_TOKEN_GET_URI) == "/publish" { raiseReceiveBuffer(wsi) }
                return 0
            }
            // Say why in HTTP before hanging up, so a client can tell a bad token from a network failure.
            lws_return_http_status(wsi, refusal.status, refusal.reason)
            return 1

        case LWS_CALLBACK_ESTABLISHED:
            guard !isStopping else { return -1 }
            // The upgrade's headers are still attached here; FILTER_PROTOCOL_CONNECTION already vetted the path.
            let publisher = LwsRequestReader.header(wsi, WSI_TOKEN_GET_URI) == "/publish"
            // A reader that upgraded without the token (FILTER_PROTOCOL_CONNECTION refused a wrong one) must
            // present it in its first message.
            let awaitingToken = !publisher && configuration.token != nil && Auth.presentedToken(upgradeRequest(wsi)) == nil
            slot(session)?.pointee = hub.open(LwsConnection(wsi: wsi), publisher: publisher, awaitingToken: awaitingToken).id
            // Frames arrive from here on: walk their headers for masks (clws_frames_*), in what lws reads with
            // recv or, over TLS, in the plaintext SSL_read returns.
            let tap = configuration.tls == nil ? Int32(CLWS_TAP_PLAIN) : Int32(CLWS_TAP_TLS)
            if clws_frames_tap_installed() & tap != 0 { clws_frames_watch(lws_get_socket_fd(wsi)) }
            return 0

        case LWS_CALLBACK_RECEIVE:
            guard let id = slot(session)?.pointee, let client = hub.clients[id], let input else { return 0 }
            // Condemned (see `pendingClose`): nothing more it sends is read; housekeeping closes it within 100 ms.
            if client.pendingClose != nil { return 0 }
            // RFC 6455 5.1: an unmasked client frame closes the connection with 1002, and is not read.
            if clws_frames_unmasked(lws_get_socket_fd(wsi)) != 0 {
                hub.metrics.unmaskedFramesClosed += 1
                client.pendingClose = (1002, "client frames must be masked")
                return 0
            }
            if lws_frame_is_binary(wsi) != 0 {
                if lws_is_final_fragment(wsi) != 0 {
                    hub.reject(client, code: "binary_frame", "send JSON text frames")
                }
                return 0
            }
            let limit = client.isPublisher ? configuration.maxPublishBytes : configuration.maxMessageBytes
            guard client.incoming.count + length <= limit else {
                if client.isPublisher { hub.metrics.badPublishMessages += 1 } else { hub.metrics.oversizedMessages += 1 }
                LwsConnection(wsi: wsi).setCloseReason(status: 1009, "message over \(limit) bytes")
                return -1
            }
            client.lastHeardFrom = hub.clock.nowMicros()
            client.incoming.append(contentsOf: UnsafeRawBufferPointer(start: input, count: length))
            if lws_is_final_fragment(wsi) != 0, lws_remaining_packet_payload(wsi) == 0 {
                let message = client.incoming
                client.incoming.removeAll(keepingCapacity: true)
                if client.isPublisher { hub.receivePublished(message, from: client) } else { hub.receive(message, from: client) }
                flushSoon(hub)
            }
            return 0

        case LWS_CALLBACK_RECEIVE_PONG:
            if let id = slot(session)?.pointee, let client = hub.clients[id] { client.lastHeardFrom = hub.clock.nowMicros() }
            return 0

        case LWS_CALLBACK_SERVER_WRITEABLE:
            guard let id = slot(session)?.pointee, let client = hub.clients[id] else { return 0 }
            // Stopping: `beginStop` has already started the close handshake; nothing more goes out.
            if isStopping { return 0 }
            return hub.writable(client) ? 0 : -1

        case LWS_CALLBACK_CLOSED:
            clws_frames_unwatch(lws_get_socket_fd(wsi))
            if let id = slot(session)?.pointee, let client = hub.clients[id] { hub.close(client) }
            return 0

        // lws 4.1 turns a CONNECT request into a raw socket, with no timeout, instead of passing it to
        // LWS_CALLBACK_HTTP: such a connection gets its 405 as soon as it can be written, and is closed.
        case LWS_CALLBACK_RAW_ADOPT:
            lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, 5)
            lws_callback_on_writable(wsi)
            return 0

        case LWS_CALLBACK_RAW_WRITEABLE:
            _ = Self.notAProxyText.withUnsafeBufferPointer { clws_raw_write(wsi, $0.baseAddress, $0.count) }
            return -1

        case LWS_CALLBACK_RAW_RX:
            return 0

        // A connection accepted: its first request line is walked for `%00` as it is read.
        case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
            clws_request_line_watch(Int32(truncatingIfNeeded: Int(bitPattern: input)))
            return 0

        case LWS_CALLBACK_HTTP:
            return http(wsi, hub: hub, session: session, input: input, length: length)

        case LWS_CALLBACK_HTTP_BODY:
            guard let id = slot(session)?.pointee, let input, var pending = confined.pendingBodies[id] else { return 0 }
            guard pending.body.count + length <= 1 << 20 else {
                confined.pendingBodies[id] = nil
                return respond(wsi, .error(413, code: "too_large", "request bodies are limited to 1 MiB"), exchange: id)
            }
            pending.body.append(contentsOf: UnsafeRawBufferPointer(start: input, count: length))
            confined.pendingBodies[id] = pending
            return 0

        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            guard let id = slot(session)?.pointee, let request = confined.pendingBodies.removeValue(forKey: id) else { return 0 }
            return dispatch(request, id: id, wsi: wsi, hub: hub)

        case LWS_CALLBACK_HTTP_WRITEABLE:
            guard let id = slot(session)?.pointee, let response = hub.exchanges.take(id) else { return 0 }
            return respond(wsi, response, exchange: id)

        case LWS_CALLBACK_CLOSED_HTTP:
            if let id = slot(session)?.pointee {
                hub.exchanges.forget(id)
                confined.pendingBodies[id] = nil
                confined.headRequests.remove(id)
                confined.closeAfterReply.remove(id)
                confined.requestOrigins[id] = nil
            }
            return 0

        default:
            return lws_callback_http_dummy(wsi, reason, session, input, length)
        }
    }

    /// lws sizes a WebSocket's receive buffer from its protocol's `rx_buffer_size` once, after this callback and
    /// the handshake (lws_server_init_wsi_for_ws), and every connection here has the one protocol (clients send no
    /// subprotocol). So for a publisher the vhost's copy of the protocol says 64 KiB until the next callback of any
    /// kind but the handshake's ADD_HEADERS, which is ESTABLISHED once the buffer exists, or a close callback if
    /// the handshake failed. It must never stay raised: lws fills a buffer until it holds `rx_buffer_size` bytes,
    /// so a reader with 4 KiB parsing under a raised size would overrun its buffer.
    private func raiseReceiveBuffer(_ wsi: OpaquePointer) {
        guard let bound = lws_get_protocol(wsi) else { return }
        let proto = UnsafeMutablePointer(mutating: bound)
        proto.pointee.rx_buffer_size = LwsProtocols.publisherReceiveBytes
        confined.raisedReceiveBuffer = proto
    }

    private func restoreReceiveBuffer() {
        confined.raisedReceiveBuffer?.pointee.rx_buffer_size = LwsProtocols.readerReceiveBytes
        confined.raisedReceiveBuffer = nil
    }

    private func http(
        _ wsi: OpaquePointer, hub: FanoutHub, session: UnsafeMutableRawPointer?, input: UnsafeMutableRawPointer?, length: Int
    ) -> Int32 {
        let id = hub.exchanges.newID()
        slot(session)?.pointee = id
        var uri: UnsafeMutablePointer<CChar>?
        var uriLength: Int32 = 0
        let methodIndex = Int(lws_http_get_uri_and_method(wsi, &uri, &uriLength))
        let methods: [HTTPRequest.Method?] = [.get, .post, .options, .put, .patch, .delete, nil, .head]
        guard methods.indices.contains(methodIndex), let method = methods[methodIndex] else {
            return respond(wsi, Self.notAProxy)
        }
        // HEAD is GET without the body (RFC 9110 9.3.2): the same route, status and headers.
        if method == .head { confined.headRequests.insert(id) }
        // Every answer, an early refusal included, carries the CORS headers its origin earns.
        if !configuration.allowedOrigins.isEmpty { confined.requestOrigins[id] = LwsRequestReader.header(wsi, WSI_TOKEN_ORIGIN) ?? "" }
        // Never `input`/`length` (or `uri`/`uriLength`): they can reach past the path into another request's bytes.
        let target = LwsRequestReader.uri(wsi, methodIndex: methodIndex)
        guard !target.cut else {
            return respond(wsi, .error(414, code: "uri_too_long",
                "a URL's path and each query argument are limited to \(LwsRequestReader.maximumURIPart / 1024) KiB: ask for fewer symbols at a time"),
                exchange: id)
        }
        // The tap turns a `%00` lws would drop the connection for into `%01` (clws_request_line_watch): refused here.
        if let problem = RequestTarget.problem(path: target.path ?? "/", query: target.query) {
            return respond(wsi, .error(400, code: "bad_request", problem), exchange: id)
        }
        // lws 4.1 reads request bodies by Content-Length only, so a chunked body would be parsed as the next request:
        // refuse it and close, as RFC 9112 6.3 allows.
        if LwsRequestReader.header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) != nil {
            confined.closeAfterReply.insert(id)
            return respond(wsi, .error(411, code: "length_required", "send the body with a Content-Length; chunked request bodies are not accepted"), exchange: id)
        }
        var headers = Self.requestHeaders(wsi)
        // A CORS preflight's questions, read only for OPTIONS: every other request would pay for a custom-header walk.
        if method == .options {
            headers["access-control-request-method"] = LwsRequestReader.customHeader(wsi, "access-control-request-method")
            headers["access-control-request-headers"] = LwsRequestReader.header(wsi, WSI_TOKEN_HTTP_AC_REQUEST_HEADERS)
            headers["access-control-request-private-network"] = LwsRequestReader.customHeader(wsi, "access-control-request-private-network")
        }
        let request = HTTPRequest(
            method: method == .head ? .get : method, path: target.path ?? "/", query: target.query, headers: headers, body: [])
        // A body is waited for only when one is announced: `Content-Length: 0` has none, and lws then never reports
        // its completion. One length, digits only: a repeated header or a sign is how requests get smuggled
        // past a proxy that reads them differently.
        if let announced = LwsRequestReader.header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) {
            guard !announced.isEmpty, announced.utf8.allSatisfy({ (0x30...0x39).contains($0) }), announced.utf8.count <= 12,
                  let length = Int(announced)
            else { return respond(wsi, .error(400, code: "bad_request", "Content-Length must be one non-negative number"), exchange: id) }
            guard length <= 1 << 20 else { return respond(wsi, .error(413, code: "too_large", "request bodies are limited to 1 MiB"), exchange: id) }
            if length > 0, method == .post || method == .put || method == .patch {
                confined.pendingBodies[id] = request
                return 0
            }
        } else if method == .post || method == .put || method == .patch {
            // No length: the request has no body (RFC 9112 6.3), but lws waits for one and would read the next
            // request as it. Answered, then closed, so nothing sent after it is misread.
            confined.closeAfterReply.insert(id)
        }
        return dispatch(request, id: id, wsi: wsi, hub: hub)
    }

    /// How long lws keeps a connection whose answer comes later: past any first-quote wait, and long enough for
    /// a large CSV import.
    static let laterAnswerTimeoutSeconds: Int32 = 120

    /// CONNECT's answer: this is an origin server, not a proxy.
    static let notAProxy = HTTPResponse.methodNotAllowed(
        "this hub is not a proxy; it serves GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS", allow: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")

    /// The same, written whole on a raw socket, where lws adds no headers of its own.
    static let notAProxyText: [UInt8] = {
        var response = notAProxy
        response.headers.append(("connection", "close"))
        return Array("HTTP/1.1 405 Method Not Allowed\r\n".utf8) + response.wire(omittingBody: false)
    }()

    private func dispatch(_ request: HTTPRequest, id: Int, wsi: OpaquePointer, hub: FanoutHub) -> Int32 {
        guard let response = hub.handle(request, exchange: id, connection: LwsConnection(wsi: wsi)) else {
            // Answered later (a first quote, the database). lws would hang up after its 5 s content timeout and
            // the client would get an empty reply: the hub's own deadlines are what bound the wait.
            lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, Self.laterAnswerTimeoutSeconds)
            return 0
        }
        return respond(wsi, response, exchange: id)
    }

    /// Writes a whole response (only its headers for a HEAD request); nonzero tells lws to close the connection.
    func respond(_ wsi: OpaquePointer, _ response: HTTPResponse, exchange: Int? = nil) -> Int32 {
        let omitBody = exchange.map { confined.headRequests.remove($0) != nil } ?? false
        let closing = exchange.map { confined.closeAfterReply.remove($0) != nil } ?? false
        var response = response
        if let origin = exchange.flatMap({ confined.requestOrigins.removeValue(forKey: $0) }) {
            response = CrossOrigin(configuration: configuration).decorate(response, origin: origin.isEmpty ? nil : origin)
        }
        if closing { response.headers.append(("connection", "close")) }
        let result = response.wire(omittingBody: omitBody).withUnsafeBufferPointer { tail in
            clws_http_respond(wsi, UInt32(response.status), tail.baseAddress, tail.count)
        }
        return result == 0 && !closing ? 0 : -1
    }

    /// The headers the routes look at, by lowercased name.
    static func requestHeaders(_ wsi: OpaquePointer) -> [String: String] {
        [
            "authorization": LwsRequestReader.header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION),
            "origin": LwsRequestReader.header(wsi, WSI_TOKEN_ORIGIN),
            "host": LwsRequestReader.header(wsi, WSI_TOKEN_HOST),
            "content-type": LwsRequestReader.header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE),
        ].compactMapValues { $0 }
    }

    /// What an upgrade presents: its path, query and headers.
    private func upgradeRequest(_ wsi: OpaquePointer) -> HTTPRequest {
        HTTPRequest(
            method: .get, path: LwsRequestReader.header(wsi, WSI_TOKEN_GET_URI) ?? "", query: LwsRequestReader.queryArguments(wsi),
            headers: Self.requestHeaders(wsi), body: [])
    }

    /// WebSocket upgrades: `/stream` with the token when one is required, from an allowed origin; `/publish`
    /// with the publish token. Returns the HTTP status to refuse with, or nil to accept.
    private func refuseUpgrade(_ wsi: OpaquePointer) -> (status: UInt32, reason: String)? {
        let path = LwsRequestReader.header(wsi, WSI_TOKEN_GET_URI)
        guard path == "/stream" || path == "/publish" else { return (404, "WebSockets are served at /stream and /publish") }
        let request = upgradeRequest(wsi)
        if path == "/publish" {
            // Publishers are programs, not browser pages: the publish token is what admits them, not an origin.
            guard let required = configuration.publishToken else { return (403, "publishing is disabled: set TICKHUB_PUBLISH_TOKEN") }
            return Auth.matches(Auth.presentedToken(request), required) ? nil : (401, "the publish token is required")
        }
        // No token on the upgrade is allowed: the first message must then present it. A wrong one is refused here.
        if let required = configuration.token, let presented = Auth.presentedToken(request) {
            guard Auth.matches(presented, required) else { return (401, "wrong token") }
        }
        if let refusal = BrowserGuard(configuration: configuration).check(request) {
            return (UInt32(refusal.status), refusal.message)
        }
        return nil
    }
}
