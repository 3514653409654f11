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

/// Listeners shared by the server's shards. lws 4.1 sets SO_REUSEPORT on a listening socket only for a context of
/// several service threads, never with LWS_MAX_SMP 1, whatever LWS_SERVER_OPTION_ALLOW_LISTEN_SHARE says; and it
/// binds inside lws_create_context, with no hook before the bind. So the tickhub executable's tap wraps bind(2)
/// (CRecvTap), and sets SO_REUSEPORT on a socket bound by a thread that asked for it here, around its
/// lws_create_context. Without the tap no listener can be shared.
void clws_share_listeners(int on);
/// Nonzero while the calling thread asked for shared listeners.
int clws_listeners_shared(void);
/// Whether a bind tap is installed in this process (set by it at startup), and the setter the tap calls.
int clws_listen_share_tap_installed(void);
void clws_set_listen_share_tap_installed(void);

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

/// Header buffers ("ah data") of `buffer_bytes` in a region of `slots` of their own, apart from malloc's heap, with
/// at most `kept` free ones keeping their pages (clws_header_pool.c says why); every other lws allocation, and a
/// header buffer when every slot is lent, goes to the C library. Call before the first context is created; the
/// first call sets the region up, later ones only install the allocator again. Nonzero when installed.
int clws_header_pool_install(size_t buffer_bytes, size_t slots, size_t kept);
struct clws_header_pool_figures {
    long lent;     ///< header buffers lent to lws now
    long released; ///< times a freed buffer's pages went back to the kernel
};
struct clws_header_pool_figures clws_header_pool_figures(void);
/// Whether `pointer` is a header buffer of the region.
int clws_header_pool_owns(const void *pointer);
/// The allocator lws is given, as lws calls it: realloc(pointer, size, reason), size 0 to free.
void *clws_header_pool_realloc(void *pointer, size_t size, const char *reason);

#endif
