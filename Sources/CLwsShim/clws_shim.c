#include "clws_shim.h"

#include <read_watch.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <string.h>
#include <uv.h>

size_t clws_pre(void) { return LWS_PRE; }

// lws_write wants LWS_PRE bytes of headroom in front of the payload, which it may use. Nonzero when not all went.
static int write_with_headroom(struct lws *wsi, const unsigned char *bytes, size_t length, enum lws_write_protocol protocol) {
    unsigned char *buffer = malloc(LWS_PRE + length);
    if (!buffer)
        return 1;
    memcpy(buffer + LWS_PRE, bytes, length);
    int written = lws_write(wsi, buffer + LWS_PRE, length, protocol);
    free(buffer);
    return written < (int)length;
}

int clws_http_respond(struct lws *wsi, unsigned int status, const unsigned char *tail, size_t tail_length) {
    // The status line (lws writes it, in the request's HTTP version) and the prepared rest go out in one write:
    // two writes would cost two sends, and on loopback each send also runs the receiver's TCP path.
    enum { status_room = 128, small = 4096 };
    unsigned char stack[LWS_PRE + small];
    unsigned char *buffer = tail_length + status_room <= small ? stack : malloc(LWS_PRE + status_room + tail_length);
    if (!buffer)
        return 1;
    unsigned char *start = buffer + LWS_PRE, *p = start, *end = start + status_room;
    int failed = lws_add_http_header_status(wsi, status, &p, end);
    if (!failed) {
        memcpy(p, tail, tail_length);
        size_t length = (size_t)(p - start) + tail_length;
        failed = lws_write(wsi, start, length, LWS_WRITE_HTTP_FINAL) < (int)length;
    }
    if (buffer != stack)
        free(buffer);
    if (failed || lws_http_transaction_completed(wsi))
        return 1;
    // The connection stays open for its next request, whose line is read from here on.
    clws_request_line_watch(lws_get_socket_fd(wsi));
    return 0;
}

int clws_raw_write(struct lws *wsi, const unsigned char *bytes, size_t length) {
    return write_with_headroom(wsi, bytes, length, LWS_WRITE_RAW);
}

void clws_close_async(struct lws *wsi) { lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC); }

int clws_probe_bind(const char *ipv4, int port) {
    struct sockaddr_in address;
    memset(&address, 0, sizeof(address));
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, ipv4, &address.sin_addr) != 1)
        return EINVAL;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return errno;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    int result = bind(fd, (struct sockaddr *)&address, sizeof(address)) == 0 ? 0 : errno;
    close(fd);
    return result;
}

static _Thread_local int share_listeners;
static atomic_int listen_share_tap;

void clws_share_listeners(int on) { share_listeners = on; }
int clws_listeners_shared(void) { return share_listeners; }
int clws_listen_share_tap_installed(void) { return atomic_load(&listen_share_tap); }
void clws_set_listen_share_tap_installed(void) { atomic_store(&listen_share_tap, 1); }

void *clws_uv_loop_new(void) {
    uv_loop_t *loop = malloc(sizeof(uv_loop_t));
    if (loop && uv_loop_init(loop)) {
        free(loop);
        return NULL;
    }
    return loop;
}

void clws_uv_loop_run(void *loop) { uv_run((uv_loop_t *)loop, UV_RUN_DEFAULT); }

void clws_uv_loop_stop(void *loop) { uv_stop((uv_loop_t *)loop); }

static void close_walk(uv_handle_t *handle, void *arg) {
    (void)arg;
    if (!uv_is_closing(handle))
        uv_close(handle, NULL);
}

void clws_uv_loop_close(void *loop) {
    uv_loop_t *l = loop;
    // lws closes its handles asynchronously; run until they are gone, then close what is left.
    uv_run(l, UV_RUN_DEFAULT);
    uv_walk(l, close_walk, NULL);
    uv_run(l, UV_RUN_DEFAULT);
    uv_loop_close(l);
    free(l);
}

struct clws_pacer {
    lws_sorted_usec_list_t sul;
    struct lws_context *context;
    void *owner;
    void (*fire)(void *owner);
};

static void pacer_ripe(lws_sorted_usec_list_t *sul) {
    struct clws_pacer *pacer = lws_container_of(sul, struct clws_pacer, sul);
    pacer->fire(pacer->owner);
}

struct clws_pacer *clws_pacer_new(struct lws_context *context, void *owner, void (*fire)(void *owner)) {
    struct clws_pacer *pacer = calloc(1, sizeof(*pacer));
    if (pacer) {
        pacer->context = context;
        pacer->owner = owner;
        pacer->fire = fire;
    }
    return pacer;
}

void clws_pacer_arm(struct clws_pacer *pacer, long long microseconds) {
    lws_sul_schedule(pacer->context, 0, &pacer->sul, pacer_ripe, (lws_usec_t)microseconds);
}

void clws_pacer_free(struct clws_pacer *pacer) {
    if (!pacer)
        return;
    lws_sul_cancel(&pacer->sul);
    free(pacer);
}
