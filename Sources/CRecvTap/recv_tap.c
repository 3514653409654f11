// libwebsockets reads a plain-TCP socket with recv(2) and a TLS one with OpenSSL's SSL_read. The tickhub
// executable defines both itself (and exports them, so lws's calls bind here): each call goes on to the C
// library's recv or libssl's SSL_read, and the bytes it returns on a watched WebSocket (plaintext, in the TLS
// case) are walked for frame masks (clws_frames_scan) and, in a request line, for `%00`, the one thing the tap
// changes (clws_request_line_scan). Descriptors that are not watched cost two table look-ups. close(2) is wrapped
// too, so that no watch outlives its connection onto a descriptor reused by anything else in the process. And
// bind(2), so that the shards' listeners can share their port (clws_share_listeners says why).
#define _GNU_SOURCE
#include "recv_tap.h"

#include <clws_shim.h>
#include <read_watch.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

typedef ssize_t (*recv_fn)(int, void *, size_t, int);
// OpenSSL's SSL is opaque here: the tap passes it through and asks libssl for its descriptor.
typedef int (*ssl_read_fn)(void *, void *, int);
typedef int (*ssl_get_fd_fn)(const void *);
typedef int (*close_fn)(int);
typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

static recv_fn next_recv;
static ssl_read_fn next_ssl_read;
static ssl_get_fd_fn ssl_get_fd;
static close_fn next_close;
static bind_fn next_bind;

// Resolved before main, so that no wrapper has to look its next up while the process runs threads.
__attribute__((constructor)) static void find_next(void) {
    if (!next_close)
        next_close = (close_fn)dlsym(RTLD_NEXT, "close");
    if (!next_bind)
        next_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");
    if (!next_recv)
        next_recv = (recv_fn)dlsym(RTLD_NEXT, "recv");
    // libssl is loaded with libwebsockets; a build without TLS finds neither, and SSL_read is then never called.
    if (!next_ssl_read)
        next_ssl_read = (ssl_read_fn)dlsym(RTLD_NEXT, "SSL_read");
    if (!ssl_get_fd)
        ssl_get_fd = (ssl_get_fd_fn)dlsym(RTLD_NEXT, "SSL_get_fd");
}

void recv_tap_install(void) {
    find_next();
    clws_frames_set_tap_installed((next_recv ? CLWS_TAP_PLAIN : 0) | (next_ssl_read && ssl_get_fd ? CLWS_TAP_TLS : 0));
    if (next_bind)
        clws_set_listen_share_tap_installed();
}

int bind(int fd, const struct sockaddr *address, socklen_t length) {
    if (!next_bind) {
        find_next();
        if (!next_bind)
            return -1;
    }
    // Only on a thread that is creating a shard's lws context: every other bind in the process is left alone.
    if (clws_listeners_shared() && address && (address->sa_family == AF_INET || address->sa_family == AF_INET6)) {
        int on = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
    }
    return next_bind(fd, address, length);
}

ssize_t recv(int fd, void *buffer, size_t length, int flags) {
    if (!next_recv) {
        find_next();
        if (!next_recv)
            return -1;
    }
    ssize_t n = next_recv(fd, buffer, length, flags);
    if (n > 0 && !(flags & MSG_PEEK)) {
        clws_request_line_scan(fd, buffer, (long)n);
        clws_frames_scan(fd, buffer, (long)n);
    }
    return n;
}

int SSL_read(void *ssl, void *buffer, int length) {
    if (!next_ssl_read) {
        find_next();
        if (!next_ssl_read)
            return -1;
    }
    int n = next_ssl_read(ssl, buffer, length);
    if (n > 0 && ssl_get_fd) {
        int fd = ssl_get_fd(ssl);
        clws_request_line_scan(fd, buffer, n);
        clws_frames_scan(fd, buffer, n);
    }
    return n;
}

int close(int fd) {
    clws_request_line_unwatch(fd);
    clws_frames_unwatch(fd);
    if (!next_close) {
        find_next();
        if (!next_close)
            return -1;
    }
    return next_close(fd);
}
