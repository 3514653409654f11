// libwebsockets reads every plain-TCP socket with recv(2). The tickhub executable defines recv itself (and
// exports it, so lws's calls bind here): each call goes to the C library's recv, and what it returns on a
// watched WebSocket is walked for frame masks (clws_frames_scan). Nothing else is changed, and descriptors that
// are not watched cost one table look-up. TLS connections read through OpenSSL with read(2), so they are not
// walked (docs/protocol.md).
#define _GNU_SOURCE
#include "recv_tap.h"

#include <clws_shim.h>
#include <dlfcn.h>
#include <sys/socket.h>
#include <sys/types.h>

static ssize_t (*next_recv)(int, void *, size_t, int);

void recv_tap_install(void) {
    if (!next_recv)
        next_recv = (ssize_t(*)(int, void *, size_t, int))dlsym(RTLD_NEXT, "recv");
    if (next_recv)
        clws_frames_set_tap_installed();
}

ssize_t recv(int fd, void *buffer, size_t length, int flags) {
    if (!next_recv) {
        next_recv = (ssize_t(*)(int, void *, size_t, int))dlsym(RTLD_NEXT, "recv");
        if (!next_recv)
            return -1;
    }
    ssize_t n = next_recv(fd, buffer, length, flags);
    if (n > 0 && !(flags & MSG_PEEK))
        clws_frames_scan(fd, buffer, (long)n);
    return n;
}
