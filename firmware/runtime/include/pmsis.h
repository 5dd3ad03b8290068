#ifndef _ISS_PMSIS_H
#define _ISS_PMSIS_H

/*
 * pmsis.h -- the pulp-sdk (PMSIS) cluster API on this runtime, so that pulp-sdk cluster code
 * compiles and runs unchanged with `iss cc`.
 *
 * API (names, signatures, structure fields) from the pulp-sdk headers:
 *   pulp-platform/pulp-sdk rtos/pmsis/pmsis_api/include/pmsis/cluster/cluster_sync/fc_to_cl_delegate.h
 *   pulp-platform/pulp-sdk rtos/pmsis/pmsis_api/include/pmsis/cluster/cluster_team/cl_team.h
 *   pulp-platform/pulp-sdk rtos/pmsis/pmsis_api/include/pmsis/cluster/dma/cl_dma.h
 *   pulp-platform/pulp-sdk rtos/pmsis/pmsis_api/include/pmsis/rtos/malloc/l2_malloc.h
 *   pulp-platform/pulp-sdk rtos/pmsis/pmsis_api/include/pmsis/chips/default.h (pi_perf_event_e)
 *   pulp-platform/pulp-sdk rtos/pulpos/common/include/pos/implem/implem.h (pmsis_kickoff,
 *     pmsis_exit, pi_is_fc), .../pos/implem/dma.h (pi_cl_dma_memcpy, pi_cl_dma_wait),
 *     .../pos/implem/perf.h (pi_perf_*)
 *   GreenWaves-Technologies/pmsis_api include/pmsis/cluster/cl_pmsis_types.h
 *     (struct pi_cluster_task), include/pmsis/rtos/malloc/cl_l1_malloc.h (pi_cl_l1_malloc)
 *
 * BOOT WITHOUT A FABRIC CONTROLLER.  This platform is the cluster alone: there is no
 * fabric controller (FC).  Core 0 of the cluster plays the FC's role:
 *   - main() runs on core 0 (crt0.S); the other cores sleep in the event unit;
 *   - pi_cluster_open / pi_cluster_close only check and record the state (the cluster is
 *     always powered);
 *   - pi_cluster_send_task_to_cl(dev, task) (and pi_cluster_send_task) calls
 *     task->entry(task->arg) on core 0, which is then the cluster master: the other cores
 *     are available to pi_cl_team_fork / pi_cl_team_barrier / pi_cl_team_critical_*;
 *     it returns (0) when the entry returns, so it is synchronous, as in pulp-sdk;
 *   - pi_is_fc() is 1 on core 0 outside a cluster task, 0 inside one and on other cores.
 * Differences that follow: the task runs on core 0's stack (4 KiB per core at the top of
 * L1, link.ld), so task->stacks / stack_size / slave_stack_size are ignored; task->nb_cores
 * is ignored too (pi_cl_team_fork(0, ...) forks on all cores, cluster.h); only cluster 0
 * exists; there is no asynchronous variant (no pi_task_t).
 *
 * Also here (our runtime, pulp-runtime names): pi_core_id, pi_cluster_id,
 * pi_cl_cluster_nb_cores, pi_cl_team_nb_cores, pi_cl_team_fork, pi_cl_team_barrier,
 * pi_cl_team_critical_enter/exit (cluster.h); pi_cl_dma_cmd, pi_cl_dma_cmd_2d,
 * pi_cl_dma_cmd_wait, pi_cl_dma_wait_all and the plp_dma_* HAL (dma.h); pi_perf_conf,
 * pi_perf_reset, pi_perf_start, pi_perf_stop, pi_perf_read (perf.h); printf (stdio.h).
 *
 * PERFORMANCE COUNTERS (perf.h).  The event names are pmsis's; their values are RI5CY's
 * PCER bits (PI_PERF_CYCLES is 0 here, 17 in pulp-sdk's pi_perf_event_e): use the names.
 * Counters are per core, each core measures itself.  PI_PERF_CYCLES counts every cycle,
 * asleep included (as pmsis documents); PI_PERF_ACTIVE_CYCLES is the same counter here
 * (sleep included, unlike pmsis).  What a pi_perf_start() ... pi_perf_stop() pair counts:
 * the instructions after pi_perf_start's CSR write up to and including pi_perf_stop's
 * (a 4-cycle CSR write, 1 instruction).  A call f() measured this way reads f's own
 * cycles and instructions (as `iss run --profile` reports them for f) plus those of the
 * call sequence the compiler puts between the two (argument loads and moves, the call:
 * jal 2 cycles, or auipc + jalr 1 + 2 + 1 for the jalr hazard, + 1 if f starts with a
 * 32-bit instruction at an address that is not word-aligned) and of the stop's CSR
 * write: 13 or 14 cycles and 8 instructions in firmware/apps/pmsis_matmul, by f's address
 * (tests/test_pmsis.py derives them from the disassembly and the timing rules of
 * docs/cluster.md and checks them against the profile on every core).
 *
 * MEMORY.  pi_l1_malloc / pi_cl_l1_malloc allocate in the L1 heap that link.ld leaves
 * between .l1_bss and the per-core stacks (__l1_heap_start .. __l1_heap_end);
 * pi_l2_malloc takes L2 from the libc heap (malloc: __heap_start .. end of L2).  Both are
 * first-fit free lists (pmsis.c): 8-byte aligned chunks, pi_*_free(chunk, size) gives a
 * chunk back (with the size it was allocated with, as pmsis requires) and merges it with
 * free neighbours; NULL when the memory is exhausted.  Thread-safe (event-unit mutex 1;
 * pi_cl_team_critical_* uses mutex 0).  pi_l1_malloc(x, size) accepts both pulp-sdk forms
 * of its first argument: the cluster device (pmsis_api) or the cluster id (pulpos).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pulp.h>        /* memory map, pi_core_id, pi_cluster_id, cluster.h (team API) */
#include <dma.h>         /* plp_dma_*, pi_cl_dma_cmd* */
#include <perf.h>        /* pi_perf_* */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- devices (pmsis_types.h) ---- */
typedef enum {
    PI_DEVICE_UNKNOWN_TYPE = 0,
    PI_DEVICE_CLUSTER_TYPE = 1,
} pi_device_e;

struct pi_device {
    void *api;           /* unused here */
    void *config;        /* the configuration given to pi_open_from_conf */
    void *data;          /* non-NULL while the device is open */
};

static inline void pi_open_from_conf(struct pi_device *device, void *conf)
{
    device->api = NULL;
    device->config = conf;
    device->data = NULL;
}

/* ---- cluster device and tasks (fc_to_cl_delegate.h, cl_pmsis_types.h) ---- */
typedef enum {
    PI_CLUSTER_FLAGS_FORK_BASED = 0,
    PI_CLUSTER_FLAGS_TASK_BASED = 1,
} pi_cluster_flags_e;

struct pi_cluster_conf {
    pi_device_e device_type;
    int id;                       /* cluster id: 0 (the only cluster) */
    void *heap_start;             /* ignored */
    uint32_t heap_size;           /* ignored */
    void *event_kernel;           /* ignored */
    pi_cluster_flags_e flags;     /* ignored */
};

struct pi_cluster_task {
    void (*entry)(void *);        /* run by the cluster master (core 0) */
    void *arg;
    void *stacks;                 /* ignored: fixed 4 KiB per-core stacks (link.ld) */
    uint32_t stack_size;          /* ignored */
    uint32_t slave_stack_size;    /* ignored */
    int nb_cores;                 /* ignored: pi_cl_team_fork(0, ...) uses every core */
    void *completion_callback;    /* ignored (no asynchronous sends) */
    int stack_allocated;
    int is_cc_task;
    struct pi_cluster_task *next;
};

void pi_cluster_conf_init(struct pi_cluster_conf *conf);
/* 0 if the configuration names cluster 0 and the caller is core 0, else -1. */
int pi_cluster_open(struct pi_device *device);
int pi_cluster_close(struct pi_device *device);
/* Run task->entry(task->arg) on core 0 as cluster master; returns when it returns (0),
 * -1 if the device is not open or the caller is not core 0 outside a cluster task. */
int pi_cluster_send_task_to_cl(struct pi_device *device, struct pi_cluster_task *task);
uint8_t pi_cluster_is_on(void);

static inline struct pi_cluster_task *pi_cluster_task(struct pi_cluster_task *task,
                                                      void (*entry)(void *), void *arg)
{
    memset(task, 0, sizeof(*task));
    task->entry = entry;
    task->arg = arg;
    return task;
}

static inline int pi_cluster_send_task(struct pi_device *device, struct pi_cluster_task *task)
{
    return pi_cluster_send_task_to_cl(device, task);
}

/* ---- identity ---- */
extern volatile int __pmsis_cluster_task_running;

static inline uint32_t pi_is_fc(void)
{
    return pi_core_id() == 0 && !__pmsis_cluster_task_running;
}

static inline uint32_t pi_cl_cluster_nb_pe_cores(void) { return (uint32_t)pi_cl_cluster_nb_cores(); }

/* ---- start and end (pos/implem/implem.h) ---- */
extern int __pmsis_exit_value;

/* Call entry() (a void (*)(void)) and return the value given to pmsis_exit, 0 if none. */
static inline int pmsis_kickoff(void *entry)
{
    ((void (*)(void))entry)();
    return __pmsis_exit_value;
}

/* End the run with status err (the simulator's exit code: err & 0xff). */
static inline void pmsis_exit(int err)
{
    __pmsis_exit_value = err;
    exit(err);
}

/* ---- memory (cl_l1_malloc.h, l2_malloc.h) ---- */
void *pi_cl_l1_malloc(struct pi_device *device, uint32_t size);
void pi_cl_l1_free(struct pi_device *device, void *chunk, int size);
void *pi_cl_l1_malloc_align(struct pi_device *device, int size, int align);
void *pi_l2_malloc(int size);
void pi_l2_free(void *chunk, int size);
void *pi_l2_malloc_align(int size, int align);

/* first argument: the cluster device or the cluster id (ignored: one cluster) */
#define pi_l1_malloc(dev_or_cid, size)           ((void)(dev_or_cid), pi_cl_l1_malloc(NULL, (size)))
#define pi_l1_free(dev_or_cid, chunk, size)      ((void)(dev_or_cid), pi_cl_l1_free(NULL, (chunk), (size)))
#define pi_l1_malloc_align(dev_or_cid, size, al) ((void)(dev_or_cid), pi_cl_l1_malloc_align(NULL, (size), (al)))

/* ---- cluster DMA, structure form (cl_dma.h, pos/implem/dma.h) ---- */
struct pi_cl_dma_copy_s {
    uint32_t id;
    uint32_t ext;                 /* L2 address */
    uint32_t loc;                 /* L1 address */
    uint16_t size;                /* bytes (pmsis: 16 bits) */
    pi_cl_dma_dir_e dir;
    uint8_t merge;                /* 1: count on the previous transfer's id (no new id) */
    uint32_t stride;              /* 2-D: bytes from a line's start to the next, in L2 */
    uint32_t length;              /* 2-D: bytes per line */
};
typedef struct pi_cl_dma_copy_s pi_cl_dma_copy_t;
typedef pi_cl_dma_copy_t pi_cl_dma_copy_2d_t;

static inline void __pi_cl_dma_push(pi_cl_dma_copy_t *copy, int is2d)
{
    uint32_t id = copy->merge ? copy->id : (uint32_t)plp_dma_counter_alloc();
    unsigned int cmd = plp_dma_getCmd(copy->dir, copy->size, is2d, PLP_DMA_TRIG_EVT,
                                      PLP_DMA_NO_TRIG_IRQ, PLP_DMA_SHARED);
    __asm__ volatile("" ::: "memory");          /* earlier stores before the push */
    if (is2d)
        plp_dma_cmd_push_2d(cmd, copy->loc, copy->ext, copy->stride, copy->length);
    else
        plp_dma_cmd_push(cmd, copy->loc, copy->ext);
    copy->id = id;
}

static inline void pi_cl_dma_memcpy(pi_cl_dma_copy_t *copy) { __pi_cl_dma_push(copy, 0); }
static inline void pi_cl_dma_memcpy_2d(pi_cl_dma_copy_2d_t *copy) { __pi_cl_dma_push(copy, 1); }

/* Wait for a pi_cl_dma_copy_t or a pi_cl_dma_cmd_t (both start with the id). */
static inline void pi_cl_dma_wait(void *copy)
{
    plp_dma_wait(*(volatile uint32_t *)copy);
    *(uint32_t *)copy = (uint32_t)-1;
}

static inline void pi_cl_dma_flush(void) { plp_dma_barrier(); }

/* ---- placement (pulp-sdk names) ---- */
#ifndef PI_CL_L1
#define PI_CL_L1 L1_DATA
#endif

#ifdef __cplusplus
}
#endif

#endif
