// The request-line watcher behind clws_request_line_*: see read_watch.h for why it exists.
#include "read_watch.h"

#include <stdint.h>

#define WATCHED_FDS (1 << 20)

// Per descriptor: 0 when not watched (or past the request line), else where the walk stands in `%00`.
// A raw NUL is mended too, to 0x01.
enum { OFF = 0, IN_LINE = 1, AFTER_PERCENT = 2, AFTER_PERCENT_ZERO = 3 };

// One byte per descriptor; pages of descriptors never used are never resident. Only lws's service thread reads
// watched sockets and (un)watches them.
static uint8_t lines[WATCHED_FDS];

void clws_request_line_watch(int fd) {
    if (fd >= 0 && fd < WATCHED_FDS)
        lines[fd] = IN_LINE;
}

void clws_request_line_unwatch(int fd) {
    if (fd >= 0 && fd < WATCHED_FDS)
        lines[fd] = OFF;
}

void clws_request_line_scan(int fd, unsigned char *bytes, long length) {
    if (fd < 0 || fd >= WATCHED_FDS || length <= 0 || lines[fd] == OFF)
        return;
    uint8_t state = lines[fd];
    for (long at = 0; at < length && state != OFF; at++) {
        unsigned char byte = bytes[at];
        if (byte == '\n') {
            state = OFF;
        } else if (byte == 0) {
            // A raw NUL ends lws's parse the same way; no request line may hold one (RFC 9112 3.2).
            bytes[at] = 1;
            state = IN_LINE;
        } else if (state == AFTER_PERCENT_ZERO && byte == '0') {
            // The one byte changed: `%00` becomes `%01`, which lws decodes and the hub refuses with 400.
            bytes[at] = '1';
            state = IN_LINE;
        } else if (byte == '%') {
            state = AFTER_PERCENT;
        } else {
            state = state == AFTER_PERCENT && byte == '0' ? AFTER_PERCENT_ZERO : IN_LINE;
        }
    }
    lines[fd] = state;
}
