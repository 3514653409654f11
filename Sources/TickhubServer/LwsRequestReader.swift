import CLws

/// The one place that reads what lws parsed out of a request: headers, the URI and its arguments.
///
/// lws keeps every connection's headers in one shared buffer, as fragments. Only fragment-exact copies are safe:
/// a length from `lws_hdr_total_length` or the callback's own `len` can run past a fragment into bytes left there
/// by an earlier request (its Authorization header, say), so neither is ever used to read. Each fragment is copied
/// with the length lws returns for it, into a buffer of its own size.
enum LwsRequestReader {
    /// Longest header or URI accepted; lws's own header buffer is smaller still.
    static let maximumLength = 8192

    /// The header's value; fragments of a repeated header are joined with "," as HTTP lists are, a URI's with
    /// the ";" lws split it at, so `/a;b` reads back as sent. Nil when absent or longer than `maximumLength`.
    static func header(_ wsi: OpaquePointer, _ token: lws_token_indexes) -> String? {
        let fragments = fragments(wsi, token)
        guard !fragments.isEmpty else { return nil }
        let separator = token == WSI_TOKEN_HTTP_URI_ARGS ? "&" : uriTokens.contains(token) ? ";" : ","
        let joined = fragments.joined(separator: separator)
        return joined.utf8.count <= maximumLength ? joined : nil
    }

    /// Each fragment lws stored for the token, in order, copied exactly.
    static func fragments(_ wsi: OpaquePointer, _ token: lws_token_indexes) -> [String] {
        var result: [String] = []
        var total = 0
        for index: Int32 in 0..<256 {
            let length = Int(lws_hdr_fragment_length(wsi, token, index))
            guard length > 0 else {
                // lws answers 0 both for an empty fragment and for one that does not exist; a copy tells which.
                var probe = [CChar](repeating: 0, count: 1)
                if lws_hdr_copy_fragment(wsi, &probe, 1, token, index) == 0 { result.append(""); continue }
                break
            }
            total += length
            guard total <= maximumLength else { return [] }
            var buffer = [CChar](repeating: 0, count: length + 1)
            let copied = Int(lws_hdr_copy_fragment(wsi, &buffer, Int32(buffer.count), token, index))
            guard copied == length else { break }
            result.append(String(decoding: buffer[..<copied].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return result
    }

    /// `?a=1&b=2` as lws splits it: one fragment per argument, already URL-decoded by lws.
    static func queryArguments(_ wsi: OpaquePointer) -> [String: String] {
        var arguments: [String: String] = [:]
        for argument in fragments(wsi, WSI_TOKEN_HTTP_URI_ARGS).prefix(64) {
            if let equals = argument.firstIndex(of: "=") {
                arguments[String(argument[..<equals])] = String(argument[argument.index(after: equals)...])
            } else {
                arguments[argument] = ""
            }
        }
        return arguments
    }

    /// The URI token lws fills for each method, in the order `lws_http_get_uri_and_method` numbers them.
    static let uriTokens: [lws_token_indexes] = [
        WSI_TOKEN_GET_URI, WSI_TOKEN_POST_URI, WSI_TOKEN_OPTIONS_URI, WSI_TOKEN_PUT_URI, WSI_TOKEN_PATCH_URI,
        WSI_TOKEN_DELETE_URI, WSI_TOKEN_CONNECT, WSI_TOKEN_HEAD_URI,
    ]

    /// The request's path, from the method's own URI token, copied exactly; nil when lws found none.
    static func path(_ wsi: OpaquePointer, methodIndex: Int) -> String? {
        guard uriTokens.indices.contains(methodIndex) else { return nil }
        return header(wsi, uriTokens[methodIndex])
    }
}

/// Text from a request, fit to quote in an error: control characters shown as U+FFFD and at most `limit`
/// characters, so a response can never carry raw bytes that the client did not plainly send.
public func quoted(_ text: some StringProtocol, limit: Int = 64) -> String {
    let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.map {
        $0.value < 0x20 || $0.value == 0x7F ? "\u{FFFD}" : $0
    }))
    return cleaned.count <= limit ? cleaned : String(cleaned.prefix(limit)) + "…"
}
