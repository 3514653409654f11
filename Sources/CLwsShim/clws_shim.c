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

int clws_http_respond(struct lws *wsi, unsigned int status, const char *content_type,
                      const unsigned char *body, size_t body_length,
                      const char *const *header_names, const char *const *header_values, int header_count,
                      int omit_body) {
    unsigned char headers[LWS_PRE + 2048];
    unsigned char *start = headers + LWS_PRE, *p = start, *end = headers + sizeof(headers) - 1;

    if (lws_add_http_common_headers(wsi, status, content_type, (lws_filepos_t)body_length, &p, end))
        return 1;
    for (int i = 0; i < header_count; i++) {
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)header_names[i],
                                        (const unsigned char *)header_values[i],
                                        (int)strlen(header_values[i]), &p, end))
            return 1;
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    if (body_length > 0 && !omit_body && write_with_headroom(wsi, body, body_length, LWS_WRITE_HTTP_FINAL))
        return 1;
    if (lws_http_transaction_completed(wsi))
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
