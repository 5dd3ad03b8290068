/*
 * pmsis.c -- out-of-line part of the pulp-sdk (PMSIS) API (include/pmsis.h): the cluster
 * device without a fabric controller, and the L1 / L2 allocators.
 *
 * Allocators: a free list per memory, sorted by address, of chunks {size, next} kept in
 * the free memory itself.  Allocation is first fit: the chunk is split into a free head
 * (alignment padding), the allocated block and a free tail.  Free inserts the block by
 * address and merges it with the chunks just before and after.  Sizes are rounded up to
 * 8 bytes and blocks are at least 8-byte aligned, so every piece is a multiple of 8 and
 * can hold a chunk header.  The L1 list starts as one chunk over the L1 heap (link.ld:
 * __l1_heap_start .. __l1_heap_end); the L2 list grows by taking memory from malloc (the
 * libc bump allocator over the rest of L2), so malloc and pi_l2_malloc never overlap.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <pmsis.h>

#define PMSIS_ALLOC_MUTEX 1        /* event-unit mutex of the allocators (0: critical sections) */

volatile int __pmsis_cluster_task_running;
int __pmsis_exit_value;

/* ------------------------------------------------------------------ cluster device */

void pi_cluster_conf_init(struct pi_cluster_conf *conf)
{
    memset(conf, 0, sizeof(*conf));
    conf->device_type = PI_DEVICE_CLUSTER_TYPE;
    conf->id = 0;
}

static int cluster_open_count;

int pi_cluster_open(struct pi_device *device)
{
    struct pi_cluster_conf *conf = (struct pi_cluster_conf *)device->config;
    if (conf == NULL || conf->id != 0 || pi_core_id() != 0)     /* the one cluster: 0 */
        return -1;
    device->data = (void *)conf;          /* open */
    cluster_open_count++;
    return 0;
}

int pi_cluster_close(struct pi_device *device)
{
    if (device->data == NULL)
        return -1;
    device->data = NULL;
    cluster_open_count--;
    return 0;
}

uint8_t pi_cluster_is_on(void) { return cluster_open_count > 0; }

int pi_cluster_send_task_to_cl(struct pi_device *device, struct pi_cluster_task *task)
{
    if (device == NULL || device->data == NULL || task == NULL || task->entry == NULL
        || pi_core_id() != 0 || __pmsis_cluster_task_running)
        return -1;
    __pmsis_cluster_task_running = 1;
    task->entry(task->arg);
    __pmsis_cluster_task_running = 0;
    return 0;
}

/* ------------------------------------------------------------------ allocators */

typedef struct chunk {
    uint32_t size;                 /* bytes of this free chunk, header included */
    struct chunk *next;            /* next free chunk, higher address */
} chunk_t;

typedef struct {
    chunk_t *first;
    int ready;
} heap_t;

static heap_t l1_heap, l2_heap;
extern char __l1_heap_start[], __l1_heap_end[];

static inline uint32_t round8(uint32_t n) { return (n + 7u) & ~7u; }

static void lock(void) { eu_mutex_lock_from_id(PMSIS_ALLOC_MUTEX); }
static void unlock(void) { eu_mutex_unlock_from_id(PMSIS_ALLOC_MUTEX); }

/* Give [p, p + size) (8-aligned, multiple of 8) to the heap, merging with neighbours. */
static void heap_insert(heap_t *h, char *p, uint32_t size)
{
    chunk_t *prev = NULL, *next = h->first;
    while (next != NULL && (char *)next < p) {
        prev = next;
        next = next->next;
    }
    chunk_t *c = (chunk_t *)p;
    c->size = size;
    c->next = next;
    if (next != NULL && p + size == (char *)next) {          /* merge with the next one */
        c->size += next->size;
        c->next = next->next;
    }
    if (prev != NULL && (char *)prev + prev->size == p) {     /* merge with the previous */
        prev->size += c->size;
        prev->next = c->next;
    } else if (prev != NULL) {
        prev->next = c;
    } else {
        h->first = c;
    }
}

/* First fit of `size` bytes (multiple of 8) at a multiple of `align` (power of 2, >= 8). */
static void *heap_take(heap_t *h, uint32_t size, uint32_t align)
{
    chunk_t *prev = NULL;
    for (chunk_t *c = h->first; c != NULL; prev = c, c = c->next) {
        uintptr_t start = (uintptr_t)c, end = start + c->size;
        uintptr_t block = (start + align - 1) & ~(uintptr_t)(align - 1);
        if (block + size > end || block + size < block)
            continue;
        chunk_t *rest = c->next;
        /* unlink c, then give back the head padding and the tail */
        if (prev != NULL)
            prev->next = rest;
        else
            h->first = rest;
        if (block > start)
            heap_insert(h, (char *)start, (uint32_t)(block - start));
        if (end > block + size)
            heap_insert(h, (char *)(block + size), (uint32_t)(end - (block + size)));
        return (void *)block;
    }
    return NULL;
}

static int good_request(int size, int align)
{
    return size > 0 && align > 0 && (align & (align - 1)) == 0 && (uint32_t)size <= 0x7FFFFFF8u;
}

static uint32_t block_align(int align) { return align < 8 ? 8u : (uint32_t)align; }

void *pi_cl_l1_malloc_align(struct pi_device *device, int size, int align)
{
    (void)device;
    if (!good_request(size, align))
        return NULL;
    lock();
    if (!l1_heap.ready) {
        char *start = (char *)(((uintptr_t)__l1_heap_start + 7u) & ~(uintptr_t)7u);
        char *end = (char *)((uintptr_t)__l1_heap_end & ~(uintptr_t)7u);
        l1_heap.first = NULL;
        if (end - start >= (ptrdiff_t)sizeof(chunk_t))
            heap_insert(&l1_heap, start, (uint32_t)(end - start));
        l1_heap.ready = 1;
    }
    void *p = heap_take(&l1_heap, round8((uint32_t)size), block_align(align));
    unlock();
    return p;
}

void *pi_cl_l1_malloc(struct pi_device *device, uint32_t size)
{
    return size > 0x7FFFFFF8u ? NULL : pi_cl_l1_malloc_align(device, (int)size, 8);
}

void pi_cl_l1_free(struct pi_device *device, void *chunk, int size)
{
    (void)device;
    if (chunk == NULL || size <= 0)
        return;
    lock();
    heap_insert(&l1_heap, (char *)chunk, round8((uint32_t)size));
    unlock();
}

void *pi_l2_malloc_align(int size, int align)
{
    if (!good_request(size, align))
        return NULL;
    uint32_t n = round8((uint32_t)size), a = block_align(align);
    lock();
    void *p = heap_take(&l2_heap, n, a);
    if (p == NULL) {
        /* grow from malloc (8-aligned): enough for the block at any alignment */
        uint32_t grow = n + a - 8u;
        char *more = grow >= n ? malloc(grow) : NULL;
        if (more != NULL) {
            heap_insert(&l2_heap, more, round8(grow));
            p = heap_take(&l2_heap, n, a);
        }
    }
    unlock();
    return p;
}

void *pi_l2_malloc(int size) { return pi_l2_malloc_align(size, 8); }

void pi_l2_free(void *chunk, int size)
{
    if (chunk == NULL || size <= 0)
        return;
    lock();
    heap_insert(&l2_heap, (char *)chunk, round8((uint32_t)size));
    unlock();
}
