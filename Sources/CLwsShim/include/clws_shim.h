// What Swift cannot import from libwebsockets (function-like macros, varargs) and the libuv loop we own.
// Only forward declarations here: <libwebsockets.h> is included by the .c file alone.
#ifndef CLWS_SHIM_H
#define CLWS_SHIM_H

#include <stddef.h>

struct lws;
struct lws_context;

/// LWS_PRE: the headroom lws_write needs in front of every payload.
size_t clws_pre(void);

/// Writes a complete HTTP response, the status line for `status` followed by `tail` (headers, blank line and
/// any body, as `HTTPResponse.wire` renders them), and completes the transaction. Nonzero when the connection
/// must be closed.
int clws_http_respond(struct lws *wsi, unsigned int status, const unsigned char *tail, size_t tail_length);

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

/// A one-shot timer on the context's service thread (an lws scheduled callback): `fire(owner)` runs there once
/// per `clws_pacer_arm`, the given microseconds later. Arming it again before it fires moves it.
struct clws_pacer;
struct clws_pacer *clws_pacer_new(struct lws_context *context, void *owner, void (*fire)(void *owner));
void clws_pacer_arm(struct clws_pacer *pacer, long long microseconds);
/// Cancels it if armed and frees it; before the context is destroyed.
void clws_pacer_free(struct clws_pacer *pacer);

#endif
