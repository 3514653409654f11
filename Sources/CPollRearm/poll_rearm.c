// libwebsockets turns POLLOUT on and off with uv_poll_start, several times per keep-alive HTTP request. libuv
// implements every uv_poll_start as a stop (which takes the descriptor out of epoll at once) and a fresh start
// (which puts it back at the next loop turn): two epoll_ctl calls per change, and lws also restarts with
// unchanged events. On a busy HTTP port that was six epoll_ctl per request against one send and one recv.
//
// The tickhub executable defines uv_poll_start itself (and exports it, so lws's calls bind here). For a watcher
// that is live and stays live, with the same callback, it does what libuv's own uv__io_start/uv__io_stop do for
// the descriptors libuv owns: record the new mask and queue the watcher, so the loop's next turn applies it with
// one EPOLL_CTL_MOD, or with nothing when the mask is what the kernel already has. Events already returned by
// epoll_wait for the old mask are filtered by libuv against the new one before any callback sees them. Every
// other call (first start, a stop, a mask of zero, a closing handle) goes to libuv's uv_poll_start unchanged.
//
// The watcher and loop fields used here are in uv.h's public structs; what they mean was read in libuv 1.44
// (src/unix/core.c, poll.c, linux-core.c), so the in-place path is taken only with a 1.44 library.
#define _GNU_SOURCE
#include "poll_rearm.h"

#include <dlfcn.h>
#include <poll.h>
#include <uv.h>

typedef int (*poll_start_fn)(uv_poll_t *, int, uv_poll_cb);

static poll_start_fn next_poll_start;
static int in_place;

__attribute__((constructor)) static void find_next(void) {
    if (next_poll_start)
        return;
    next_poll_start = (poll_start_fn)dlsym(RTLD_NEXT, "uv_poll_start");
    unsigned int version = uv_version();
    in_place = next_poll_start && (version >> 16) == 1 && ((version >> 8) & 0xff) == 44
        && UV_VERSION_MAJOR == 1 && UV_VERSION_MINOR == 44;
}

int poll_rearm_active(void) {
    find_next();
    return in_place;
}

// libuv's watcher queues are two-pointer rings (next, prev); an unqueued watcher points at itself.
static int unqueued(void **node) { return node[0] == (void *)node; }

static void queue_at_tail(void **head, void **node) {
    void **last = head[1];
    node[0] = head;
    node[1] = last;
    last[0] = node;
    head[1] = node;
}

int uv_poll_start(uv_poll_t *handle, int events, uv_poll_cb callback) {
    find_next();
    if (!next_poll_start)
        return UV_ENOSYS;
    unsigned int mask = (events & UV_READABLE ? POLLIN : 0) | (events & UV_WRITABLE ? POLLOUT : 0);
    uv_loop_t *loop = handle->loop;
    uv__io_t *watcher = &handle->io_watcher;
    int live = in_place && mask && !(events & ~(UV_READABLE | UV_WRITABLE)) && uv_is_active((uv_handle_t *)handle)
        && !uv_is_closing((uv_handle_t *)handle) && handle->poll_cb == callback && watcher->fd >= 0
        && (unsigned int)watcher->fd < loop->nwatchers && loop->watchers[watcher->fd] == watcher;
    if (!live)
        return next_poll_start(handle, events, callback);
    watcher->pevents = mask;
    if (watcher->events != mask && unqueued(watcher->watcher_queue))
        queue_at_tail(loop->watcher_queue, watcher->watcher_queue);
    return 0;
}
