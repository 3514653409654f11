import Hub
import HubProtocol
import CLws

/// The one place that reads what lws parsed out of a request: headers, the URI and its arguments.
///
/// lws keeps every connection's headers in one shared buffer, as fragments. Only fragment-exact copies are safe:
/// a length from `lws_hdr_total_length` or the callback's own `len` can run past a fragment into bytes left there
/// by an earlier request (its Authorization header, say), so neither is ever used to read. Each fragment is copied
/// with the length lws returns for it, into a buffer of its own size.
enum LwsRequestReader {
    /// Longest header accepted; a repeated header counts whole.
    static let maximumLength = 8192

    /// Longest part of a URI (the path, or one `&`-separated argument) lws keeps. lws stops copying a part there
    /// and passes the request on, cut short: so a part that reaches this length was longer, and the request gets
    /// 414 rather than the dropped connection lws gives a request that overflows its header buffer.
    static let maximumURIPart = 32 * 1024

    /// lws's buffer for one request's headers and URI: two URI parts at their limit and the usual headers.
    static let headerBufferBytes: UInt32 = 96 * 1024
    /// Header buffers lent at once from their own region (`clws_header_pool_install`), past which they come from the
    /// heap: address space reserved, not memory (1.5 GiB of it).
    static let headerBufferSlots = 16_384
    /// Free header buffers that keep their pages for the next requests; the others go back to the kernel when freed.
    static let headerBuffersKept = 64

    /// The header's value; fragments of a repeated header are joined with "," as HTTP lists are, a URI's with
    /// the ";" lws split it at, so `/a;b` reads back as sent. Nil when absent or longer than its limit.
    static func header(_ wsi: OpaquePointer, _ token: lws_token_indexes) -> String? {
        let isURI = token == WSI_TOKEN_HTTP_URI_ARGS || uriTokens.contains(token)
        let fragments = fragments(wsi, token, limit: isURI ? Int(headerBufferBytes) : maximumLength)
        guard !fragments.isEmpty else { return nil }
        let separator = token == WSI_TOKEN_HTTP_URI_ARGS ? "&" : isURI ? ";" : ","
        return fragments.joined(separator: separator)
    }

    /// A header lws has no token for (`Access-Control-Request-Method`), by its name in lowercase, as lws keeps the
    /// names it does not know; nil when absent or longer than `maximumLength`.
    static func customHeader(_ wsi: OpaquePointer, _ name: String) -> String? {
        let key = name + ":"
        let length = Int(lws_hdr_custom_length(wsi, key, Int32(key.utf8.count)))
        guard length >= 0, length <= maximumLength else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard lws_hdr_custom_copy(wsi, &buffer, Int32(buffer.count), key, Int32(key.utf8.count)) == length else { return nil }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Each fragment lws stored for the token, in order, copied exactly; none when together they pass `limit`.
    static func fragments(_ wsi: OpaquePointer, _ token: lws_token_indexes, limit: Int = maximumLength) -> [String] {
        read(wsi, token, limit: limit).parts
    }

    /// The fragments, and the length of the longest (a URI part that reached `maximumURIPart` was cut by lws).
    private static func read(_ wsi: OpaquePointer, _ token: lws_token_indexes, limit: Int) -> (parts: [String], longest: Int) {
        var result: [String] = []
        var total = 0, longest = 0
        for index: Int32 in 0..<256 {
            let length = Int(lws_hdr_fragment_length(wsi, token, index))
            guard length > 0 else {
                // lws answers 0 both for an empty fragment and for one that does not exist; a copy tells which.
                var probe: CChar = 0
                if lws_hdr_copy_fragment(wsi, &probe, 1, token, index) == 0 { result.append(""); continue }
                break
            }
            total += length
            longest = max(longest, length)
            guard total <= limit else { return ([], longest) }
            // Copied straight into the string's own storage (lws adds a NUL, hence the extra byte): every request
            // reads several headers, and an intermediate array per header was most of their cost.
            var copied = 0
            let text = String(unsafeUninitializedCapacity: length + 1) { storage in
                copied = storage.baseAddress.map { base in
                    base.withMemoryRebound(to: CChar.self, capacity: length + 1) {
                        Int(lws_hdr_copy_fragment(wsi, $0, Int32(length + 1), token, index))
                    }
                } ?? -1
                return copied == length ? length : 0
            }
            guard copied == length else { break }
            result.append(text)
        }
        return (result, longest)
    }

    /// A request's path and query, read once; `cut` when lws cut a part of either at `maximumURIPart`.
    struct URI {
        var path: String?
        var query: [String: String]
        var cut: Bool
    }

    static func uri(_ wsi: OpaquePointer, methodIndex: Int) -> URI {
        let path: (parts: [String], longest: Int) =
            uriTokens.indices.contains(methodIndex) ? read(wsi, uriTokens[methodIndex], limit: Int(headerBufferBytes)) : ([], 0)
        let arguments = read(wsi, WSI_TOKEN_HTTP_URI_ARGS, limit: Int(headerBufferBytes))
        return URI(path: path.parts.isEmpty ? nil : path.parts.joined(separator: ";"), query: RequestTarget.arguments(arguments.parts),
                   cut: max(path.longest, arguments.longest) >= maximumURIPart)
    }

    /// `?a=1&b=2` as lws splits it: one fragment per argument, already URL-decoded by lws.
    static func queryArguments(_ wsi: OpaquePointer) -> [String: String] {
        RequestTarget.arguments(fragments(wsi, WSI_TOKEN_HTTP_URI_ARGS, limit: Int(headerBufferBytes)))
    }

    /// The URI token lws fills for each method, in the order `lws_http_get_uri_and_method` numbers them.
    static let uriTokens: [lws_token_indexes] = [
        WSI_TOKEN_GET_URI, WSI_TOKEN_POST_URI, WSI_TOKEN_OPTIONS_URI, WSI_TOKEN_PUT_URI, WSI_TOKEN_PATCH_URI,
        WSI_TOKEN_DELETE_URI, WSI_TOKEN_CONNECT, WSI_TOKEN_HEAD_URI,
    ]
}
