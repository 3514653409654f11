// What Swift cannot import from libwebsockets (function-like macros, varargs) and the libuv loop we own.
// Only forward declarations here: <libwebsockets.h> is included by the .c file alone.
#ifndef CLWS_SHIM_H
#define CLWS_SHIM_H

#include <stddef.h>

struct lws;
struct lws_context;

/// LWS_PRE: the headroom lws_write needs in front of every payload.
size_t clws_pre(void);

/// Writes a complete HTTP response (status line, headers, body) and completes the transaction.
/// `header_names` / `header_values` are `header_count` extra headers. Returns nonzero when the connection
/// must be closed. `omit_body` answers a HEAD request: the headers announce the body's length, none follows.
int clws_http_respond(struct lws *wsi, unsigned int status, const char *content_type,
                      const unsigned char *body, size_t body_length,
                      const char *const *header_names, const char *const *header_values, int header_count,
                      int omit_body);

/// Writes `length` bytes on a raw socket (lws's LWS_PRE headroom added here). Returns nonzero on failure.
int clws_raw_write(struct lws *wsi, const unsigned char *bytes, size_t length);

/// Marks a connection to be closed on the service thread's next turn (for clients that stopped reading).
void clws_close_async(struct lws *wsi);

/// Binds a TCP socket to `ipv4`:`port` the way lws would (SO_REUSEADDR) and closes it again. Returns 0 when
/// the bind works, else the errno that says why it does not: lws reports only that the vhost failed.
int clws_probe_bind(const char *ipv4, int port);

/// A libuv loop owned by the server, handed to lws as its foreign loop.
void *clws_uv_loop_new(void);
/// Runs the loop until clws_uv_loop_stop is called on the loop's thread.
void clws_uv_loop_run(void *loop);
void clws_uv_loop_stop(void *loop);
/// Lets lws finish closing its handles after lws_context_destroy, then frees the loop.
void clws_uv_loop_close(void *loop);

// WebSocket frame masks. RFC 6455 5.1: a server must close a connection whose client sends an unmasked frame
// (1002), but lws 4.1 unmasks what is masked and takes the rest, and tells no one which it was. So the bytes lws
// reads from a watched socket are also walked here, frame header by frame header (clws_frames_scan, fed by the
// recv and SSL_read tap the tickhub executable links, CRecvTap). Without the tap nothing is scanned and nothing is
// flagged.

/// What a tap feeds clws_frames_scan in this process: plain reads, TLS plaintext, both (set by the tap).
enum { CLWS_TAP_PLAIN = 1, CLWS_TAP_TLS = 2 };
int clws_frames_tap_installed(void);
void clws_frames_set_tap_installed(int covered);
/// Starts walking the frames that arrive on `fd` (a WebSocket that has just been accepted); drops any state an
/// earlier connection left on the same descriptor.
void clws_frames_watch(int fd);
void clws_frames_unwatch(int fd);
/// Nonzero once a frame without a mask arrived on `fd`.
int clws_frames_unmasked(int fd);
/// Walks `length` bytes read from `fd`, if it is watched.
void clws_frames_scan(int fd, const unsigned char *bytes, long length);

// NUL in a URL. lws 4.1 drops a connection whose request line decodes to a NUL byte (`%00`), without an answer.
// So the request line of each HTTP request is walked as it is read (fed by the same tap) and its `%00` turned
// into `%01` (a raw NUL into 0x01): lws then passes the request on, and the hub answers 400 for the control
// character, as it does for any. Only the request line is touched, and only while a request is awaited on the connection: armed when it is
// accepted and again when a response completes; a request pipelined behind another is read before that and
// keeps lws's behaviour.

/// Arms the walk for the next request line on `fd`.
void clws_request_line_watch(int fd);
void clws_request_line_unwatch(int fd);
/// Walks (and mends) `length` bytes read from `fd`, if a request line is awaited there.
void clws_request_line_scan(int fd, unsigned char *bytes, long length);

#endif
