// The frame walker behind clws_frames_*: see read_watch.h for why it exists.
#include "read_watch.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// Descriptors up to this are watched: a table of pointers, untouched pages of which are never resident.
#define WATCHED_FDS (1 << 20)

struct frame_walk {
    uint8_t header[14];
    uint8_t have;      // header bytes collected
    uint8_t need;      // header bytes this frame has (2 until the second byte says more)
    uint64_t payload;  // payload bytes still to skip
    int unmasked;
};

static _Atomic(struct frame_walk *) walks[WATCHED_FDS];
static atomic_int tap_installed;

int clws_frames_tap_installed(void) { return atomic_load(&tap_installed); }
void clws_frames_set_tap_installed(int covered) { atomic_store(&tap_installed, covered); }

void clws_frames_watch(int fd) {
    if (fd < 0 || fd >= WATCHED_FDS)
        return;
    struct frame_walk *walk = calloc(1, sizeof(*walk));
    if (!walk)
        return;
    walk->need = 2;
    free(atomic_exchange(&walks[fd], walk));
}

void clws_frames_unwatch(int fd) {
    if (fd < 0 || fd >= WATCHED_FDS)
        return;
    free(atomic_exchange(&walks[fd], NULL));
}

int clws_frames_unmasked(int fd) {
    if (fd < 0 || fd >= WATCHED_FDS)
        return 0;
    struct frame_walk *walk = atomic_load(&walks[fd]);
    return walk ? walk->unmasked : 0;
}

// Only lws's service thread reads a watched socket and (un)watches it, so a walk is never shared.
void clws_frames_scan(int fd, const unsigned char *bytes, long length) {
    if (fd < 0 || fd >= WATCHED_FDS || length <= 0)
        return;
    struct frame_walk *walk = atomic_load(&walks[fd]);
    if (!walk || walk->unmasked)
        return;
    long at = 0;
    while (at < length) {
        if (walk->payload > 0) {
            uint64_t skip = (uint64_t)(length - at) < walk->payload ? (uint64_t)(length - at) : walk->payload;
            walk->payload -= skip;
            at += (long)skip;
            continue;
        }
        walk->header[walk->have++] = bytes[at++];
        if (walk->have == 2) {
            uint8_t len7 = walk->header[1] & 0x7f;
            if (!(walk->header[1] & 0x80)) {
                walk->unmasked = 1;
                return;
            }
            walk->need = (uint8_t)(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4);
        }
        if (walk->have >= 2 && walk->have == walk->need) {
            uint8_t len7 = walk->header[1] & 0x7f;
            uint64_t payload = len7;
            if (len7 == 126)
                payload = ((uint64_t)walk->header[2] << 8) | walk->header[3];
            else if (len7 == 127) {
                payload = 0;
                for (int i = 2; i < 10; i++)
                    payload = (payload << 8) | walk->header[i];
            }
            walk->payload = payload;
            walk->have = 0;
            walk->need = 2;
        }
    }
}
