// lws allocates a buffer for a request's headers ("ah data", 96 KiB here: room for a 1,000-symbol /quotes URL) for
// every request and every WebSocket handshake, and frees it when the headers are done with. From malloc's heap, a
// burst of handshakes holds thousands of them at once, and the pages their headers touched stay behind in the heap
// among the small allocations of the connections that outlive them: 10,000 idle WebSockets cost 10.5–10.6 KiB of RSS
// each, 6.1 KiB with this pool. Bounding how many lws lends at once (max_http_header_pool) would cure that, but a
// few hundred connections that never finish their headers would then stall every new one.
//
// So header buffers come from a region of their own, reserved once and never part of the heap: a slot is lent per
// buffer, a few free slots keep their pages for the next requests, and the rest are given back to the kernel as
// soon as they are free. Whether a pointer is the region's is a range check, so every other lws allocation goes to
// the C library as before at the cost of a comparison.
#include <libwebsockets.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "clws_shim.h"

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *region;
static size_t slot_bytes, slot_count;
/// Free slots: up to `keep` that still have their pages, reused first, and those given back to the kernel.
static uint32_t *resident, *released;
static size_t resident_count, released_count, keep;
/// Slots never lent yet start at `fresh`.
static size_t fresh;
static struct clws_header_pool_figures figures;

static int in_region(const void *pointer) {
    return region && (const unsigned char *)pointer >= region
        && (const unsigned char *)pointer < region + slot_bytes * slot_count;
}

static void *take(void) {
    void *buffer = NULL;
    pthread_mutex_lock(&pool_lock);
    if (resident_count) {
        buffer = region + slot_bytes * resident[--resident_count];
    } else if (released_count) {
        buffer = region + slot_bytes * released[--released_count];
    } else if (fresh < slot_count) {
        buffer = region + slot_bytes * fresh++;
    }
    if (buffer) figures.lent++;
    pthread_mutex_unlock(&pool_lock);
    return buffer;
}

static void give_back(void *buffer) {
    uint32_t slot = (uint32_t)((size_t)((unsigned char *)buffer - region) / slot_bytes);
    pthread_mutex_lock(&pool_lock);
    figures.lent--;
    int keeps_pages = resident_count < keep;
    if (keeps_pages) {
        resident[resident_count++] = slot;
    } else {
        // Under the lock, so that no one is lent the slot before its pages are gone.
        madvise(buffer, slot_bytes, MADV_DONTNEED);
        released[released_count++] = slot;
        figures.released++;
    }
    pthread_mutex_unlock(&pool_lock);
}

static void *pool_realloc(void *pointer, size_t size, const char *reason) {
    if (!pointer && size == slot_bytes && reason && !strcmp(reason, "ah data")) {
        void *buffer = take();
        return buffer ? buffer : malloc(size);
    }
    if (in_region(pointer)) {
        void *moved = NULL;
        // Never asked of a header buffer by lws 4.1; kept correct all the same: as with realloc, a failed move
        // leaves the buffer lent.
        if (size && !(moved = malloc(size))) return NULL;
        if (moved) memcpy(moved, pointer, size < slot_bytes ? size : slot_bytes);
        give_back(pointer);
        return moved;
    }
    if (!size) {
        free(pointer);
        return NULL;
    }
    return realloc(pointer, size);
}

int clws_header_pool_install(size_t buffer_bytes, size_t slots, size_t kept) {
    size_t page = 4096, bytes = (buffer_bytes + page - 1) / page * page;
    pthread_mutex_lock(&pool_lock);
    if (!region) {
        // Address space only: a page is committed when a header first touches it.
        void *mapped = mmap(NULL, bytes * slots, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                            -1, 0);
        resident = malloc(kept * sizeof *resident);
        released = malloc(slots * sizeof *released);
        if (mapped != MAP_FAILED && resident && released) {
            region = mapped;
            slot_bytes = bytes;
            slot_count = slots;
            keep = kept;
        } else {
            if (mapped != MAP_FAILED) munmap(mapped, bytes * slots);
            free(resident);
            free(released);
            resident = released = NULL;
        }
    }
    int installed = region != NULL && slot_bytes == bytes;
    pthread_mutex_unlock(&pool_lock);
    if (installed) lws_set_allocator(pool_realloc);
    return installed;
}

struct clws_header_pool_figures clws_header_pool_figures(void) {
    pthread_mutex_lock(&pool_lock);
    struct clws_header_pool_figures now = figures;
    pthread_mutex_unlock(&pool_lock);
    return now;
}

int clws_header_pool_owns(const void *pointer) { return in_region(pointer); }

void *clws_header_pool_realloc(void *pointer, size_t size, const char *reason) {
    return pool_realloc(pointer, size, reason);
}
