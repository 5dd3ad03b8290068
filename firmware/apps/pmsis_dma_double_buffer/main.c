/*
 * pmsis_dma_double_buffer -- L2 -> L1 -> L2 streaming with the cluster DMA, written as a
 * pulp-sdk (PMSIS) cluster application (pmsis.h only): the same source builds under the
 * pulp-sdk and here with `iss cc`.
 *
 *   in[i]  = (int32)((i * 2654435761) mod 2^32 >> 16) - 32768      (L2, i < NT * TILE)
 *   out[i] = ((in[i] * in[i]) >> 7) - 3 * in[i] + 11               (int32)
 *
 * The data goes through L1 in NT tiles of TILE elements.  One cluster task runs two
 * passes, each a pi_cl_team_fork over all the cluster's cores, measured on the master
 * core with pi_perf (PI_PERF_CYCLES: cycles asleep included):
 *   serial:  core 0 copies tile t in (pi_cl_dma_memcpy), waits, all cores compute it into
 *            an L1 output buffer, core 0 copies it out (pi_cl_dma_cmd) and waits;
 *   double-buffered: two input and two output buffers in L1; while the cores compute
 *            tile t, the DMA brings tile t+1 in and takes tile t-1 out; core 0 waits for
 *            tile t+1's input before the next round and for tile t-2's output before its
 *            buffer is written again.
 * Then main (core 0, the "fabric controller" here) recomputes every element from the
 * input and compares both outputs with it.
 *
 * Prints "FAILED: ..." for a failed check, "serial: <c> cycles, double-buffered: <c>
 * cycles", the checksum = sum over i of (uint32)out[i] * (i + 1) mod 2^32
 * (tests/test_pmsis.py compares it with numpy) and "pmsis_dma_double_buffer: OK" or
 * "...: FAILED"; ends with pmsis_exit(number of failed checks).
 */
#include "pmsis.h"

#define TILE 512                  /* int32 elements per tile: 2 KiB per DMA transfer */
#define NT 16                     /* tiles */
#define TOTAL (NT * TILE)

typedef struct {
    int32_t *in_l2, *out_l2[2];   /* out_l2[0]: serial pass, [1]: double-buffered pass */
    int32_t *in_l1[2], *out_l1[2];
    int overlap;
    uint32_t cycles[2];
} stream_t;

static pi_cl_dma_copy_t in_copy[2];
static pi_cl_dma_cmd_t out_cmd[2];
static int failures;

static void check(int ok, const char *what)
{
    if (!ok) {
        printf("FAILED: %s\n", what);
        failures++;
    }
}

static inline int32_t input(int i) { return (int32_t)(((uint32_t)i * 2654435761u) >> 16) - 32768; }
static inline int32_t f(int32_t x) { return ((x * x) >> 7) - 3 * x + 11; }

/* core 0: bring tile t into input buffer b */
static void start_in(stream_t *s, int t, int b)
{
    pi_cl_dma_copy_t *c = &in_copy[b];
    c->ext = (uint32_t)(s->in_l2 + t * TILE);
    c->loc = (uint32_t)s->in_l1[b];
    c->size = TILE * sizeof(int32_t);
    c->dir = PI_CL_DMA_DIR_EXT2LOC;
    c->merge = 0;
    pi_cl_dma_memcpy(c);
}

/* core 0: take output buffer b out to tile t of the pass's output */
static void start_out(stream_t *s, int t, int b)
{
    pi_cl_dma_cmd((uint32_t)(s->out_l2[s->overlap] + t * TILE), (uint32_t)s->out_l1[b],
                  TILE * sizeof(int32_t), PI_CL_DMA_DIR_LOC2EXT, &out_cmd[b]);
}

static void cluster_pass(void *arg)
{
    stream_t *s = (stream_t *)arg;
    int core = pi_core_id(), n = pi_cl_team_nb_cores();
    int e0 = core * TILE / n, e1 = (core + 1) * TILE / n;

    if (core == 0)
        start_in(s, 0, 0);
    for (int t = 0; t < NT; t++) {
        int b = t & 1;
        if (core == 0) {
            pi_cl_dma_wait(&in_copy[b]);                 /* tile t is in L1 */
            if (s->overlap) {
                if (t + 1 < NT)
                    start_in(s, t + 1, b ^ 1);           /* moves while tile t is computed */
                if (t >= 2)
                    pi_cl_dma_cmd_wait(&out_cmd[b]);     /* tile t-2 left out_l1[b] */
            }
        }
        pi_cl_team_barrier();
        const int32_t *src = s->in_l1[b];
        int32_t *dst = s->out_l1[b];
        for (int i = e0; i < e1; i++)
            dst[i] = f(src[i]);
        pi_cl_team_barrier();
        if (core == 0) {
            start_out(s, t, b);
            if (!s->overlap) {
                pi_cl_dma_cmd_wait(&out_cmd[b]);
                if (t + 1 < NT)
                    start_in(s, t + 1, b ^ 1);
            }
        }
    }
    if (core == 0 && s->overlap) {
        pi_cl_dma_cmd_wait(&out_cmd[(NT - 2) & 1]);
        pi_cl_dma_cmd_wait(&out_cmd[(NT - 1) & 1]);
    }
}

/* The cluster task: both passes, each measured on the master core. */
static void cluster_entry(void *arg)
{
    stream_t *s = (stream_t *)arg;
    for (int pass = 0; pass < 2; pass++) {
        s->overlap = pass;
        pi_perf_conf(1 << PI_PERF_CYCLES);
        pi_perf_reset();
        pi_perf_start();
        pi_cl_team_fork(pi_cl_cluster_nb_cores(), cluster_pass, s);
        pi_perf_stop();
        s->cycles[pass] = pi_perf_read(PI_PERF_CYCLES);
    }
}

static void test_entry(void)
{
    struct pi_device cluster_dev;
    struct pi_cluster_conf conf;
    struct pi_cluster_task task;
    static stream_t s;

    pi_cluster_conf_init(&conf);
    pi_open_from_conf(&cluster_dev, &conf);
    if (pi_cluster_open(&cluster_dev)) {
        printf("pmsis_dma_double_buffer: cluster open failed\n");
        pmsis_exit(-1);
    }
    s.in_l2 = pi_l2_malloc(TOTAL * sizeof(int32_t));
    s.out_l2[0] = pi_l2_malloc(TOTAL * sizeof(int32_t));
    s.out_l2[1] = pi_l2_malloc(TOTAL * sizeof(int32_t));
    for (int b = 0; b < 2; b++) {
        s.in_l1[b] = pi_l1_malloc(0, TILE * sizeof(int32_t));
        s.out_l1[b] = pi_l1_malloc(0, TILE * sizeof(int32_t));
    }
    if (!s.in_l2 || !s.out_l2[0] || !s.out_l2[1] || !s.in_l1[0] || !s.in_l1[1]
        || !s.out_l1[0] || !s.out_l1[1]) {
        printf("pmsis_dma_double_buffer: out of memory\n");
        pmsis_exit(-2);
    }
    for (int i = 0; i < TOTAL; i++) {
        s.in_l2[i] = input(i);
        s.out_l2[0][i] = s.out_l2[1][i] = 0x5A5A5A5A;   /* every element must be written */
    }

    pi_cluster_send_task_to_cl(&cluster_dev, pi_cluster_task(&task, cluster_entry, &s));

    int wrong[2] = {0, 0};
    uint32_t checksum = 0;
    for (int i = 0; i < TOTAL; i++) {
        int32_t ref = f(input(i));
        wrong[0] += s.out_l2[0][i] != ref;
        wrong[1] += s.out_l2[1][i] != ref;
        checksum += (uint32_t)s.out_l2[1][i] * (uint32_t)(i + 1);
    }
    check(wrong[0] == 0, "serial pass output");
    check(wrong[1] == 0, "double-buffered pass output");
    check(s.cycles[1] < s.cycles[0], "double buffering saved no cycles");

    printf("%d tiles of %d int32 on %d cores: %d + %d elements differ\n", NT, TILE,
           pi_cl_cluster_nb_cores(), wrong[0], wrong[1]);
    printf("serial: %u cycles, double-buffered: %u cycles\n", (unsigned)s.cycles[0],
           (unsigned)s.cycles[1]);
    printf("checksum=%08x\n", (unsigned)checksum);

    for (int b = 0; b < 2; b++) {
        pi_l1_free(0, s.out_l1[b], TILE * sizeof(int32_t));
        pi_l1_free(0, s.in_l1[b], TILE * sizeof(int32_t));
    }
    pi_l2_free(s.out_l2[1], TOTAL * sizeof(int32_t));
    pi_l2_free(s.out_l2[0], TOTAL * sizeof(int32_t));
    pi_l2_free(s.in_l2, TOTAL * sizeof(int32_t));
    pi_cluster_close(&cluster_dev);

    printf("pmsis_dma_double_buffer: %s\n", failures ? "FAILED" : "OK");
    pmsis_exit(failures);
}

int main(void)
{
    return pmsis_kickoff((void *)test_entry);
}
