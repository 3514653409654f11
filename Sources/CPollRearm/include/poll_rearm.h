// libuv's uv_poll_start, without the drop and re-add for a watcher that stays: see poll_rearm.c.
#ifndef CPOLLREARM_H
#define CPOLLREARM_H

/// 1 when this process's uv_poll_start changes a live watcher's events in place, 0 when every call goes to
/// libuv as it is (a libuv other than the one the change was written against).
int poll_rearm_active(void);

#endif
