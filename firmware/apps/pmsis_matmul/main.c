/*
 * pmsis_matmul -- a parallel int32 matrix multiply written as a pulp-sdk (PMSIS) cluster
 * application: it includes pmsis.h only, so the same source builds under the pulp-sdk
 * (make all run) and here (iss cc -o pmsis_matmul.elf main.c; iss run pmsis_matmul.elf).
 *
 *   C[M][N] = A[M][K] * B[K][N]     (int32, wrapping arithmetic)
 *   A[i][k] = (i * 7 + k * 13) % 31 - 15,   B[k][j] = (k * 11 + j * 5) % 29 - 14
 *
 * Main ("fabric controller" side, core 0 here): open the cluster, allocate A, B, C in L1
 * (pi_l1_malloc) and the reference in L2 (pi_l2_malloc), fill A and B, send the cluster
 * task (pi_cluster_send_task_to_cl), which forks the multiply over all the cluster's cores
 * (pi_cl_team_fork): core c computes the rows [c*M/n, (c+1)*M/n), the call to
 * matmul_rows between pi_perf_start and pi_perf_stop, so each core measures its own
 * cycles and instructions, then adds its row count to a total in a critical section
 * (pi_cl_team_critical_enter / exit).  Back on main: the reference, computed by one core in a
 * different loop order (k outermost) into L2, must equal C element by element.
 *
 * Prints "pmsis_matmul: OK" or "FAILED: ..." lines and "pmsis_matmul: FAILED", the
 * checksum = sum over idx = i*N + j of (uint32)C[i][j] * (idx + 1) mod 2^32
 * (tests/test_pmsis.py compares it with numpy), and per core "core c: rows r0-r1
 * cycles=... instr=..."; ends with pmsis_exit(number of failed checks).
 */
#include "pmsis.h"

#define M 64
#define K 48
#define N 40
#define MAX_CORES 16

typedef struct {
    int32_t *a, *b, *c;
    int nb_cores;
    int rows_done;                /* added up in a critical section */
    uint32_t cycles[MAX_CORES], instr[MAX_CORES];
    int row0[MAX_CORES], row1[MAX_CORES];
} matmul_t;

static int failures;

static void check(int ok, const char *what)
{
    if (!ok) {
        printf("FAILED: %s\n", what);
        failures++;
    }
}

/* The measured kernel: rows r0..r1-1 of C; a leaf function (no calls). */
static void __attribute__((noinline)) matmul_rows(const int32_t *a, const int32_t *b,
                                                  int32_t *c, int r0, int r1)
{
    for (int i = r0; i < r1; i++) {
        for (int j = 0; j < N; j++) {
            int32_t s = 0;
            for (int k = 0; k < K; k++)
                s += a[i * K + k] * b[k * N + j];
            c[i * N + j] = s;
        }
    }
}

/* Every core of the team. */
static void cluster_matmul(void *arg)
{
    matmul_t *mm = (matmul_t *)arg;
    int core = pi_core_id(), n = pi_cl_team_nb_cores();
    int r0 = core * M / n, r1 = (core + 1) * M / n;

    pi_perf_conf(1 << PI_PERF_CYCLES | 1 << PI_PERF_INSTR);
    pi_perf_reset();
    pi_perf_start();
    matmul_rows(mm->a, mm->b, mm->c, r0, r1);
    pi_perf_stop();

    mm->cycles[core] = pi_perf_read(PI_PERF_CYCLES);
    mm->instr[core] = pi_perf_read(PI_PERF_INSTR);
    mm->row0[core] = r0;
    mm->row1[core] = r1;

    pi_cl_team_critical_enter();
    mm->rows_done += r1 - r0;
    pi_cl_team_critical_exit();
}

/* The cluster task's entry: runs on the cluster master, forks on all the cores. */
static void cluster_entry(void *arg)
{
    matmul_t *mm = (matmul_t *)arg;
    mm->nb_cores = pi_cl_cluster_nb_cores();
    pi_cl_team_fork(mm->nb_cores, cluster_matmul, arg);
}

static void test_entry(void)
{
    struct pi_device cluster_dev;
    struct pi_cluster_conf conf;
    struct pi_cluster_task task;
    static matmul_t mm;

    pi_cluster_conf_init(&conf);
    pi_open_from_conf(&cluster_dev, &conf);
    if (pi_cluster_open(&cluster_dev)) {
        printf("pmsis_matmul: cluster open failed\n");
        pmsis_exit(-1);
    }

    /* 0: the cluster id of pulpos' pi_l1_malloc(cid, size), a null device for pmsis_api's */
    mm.a = pi_l1_malloc(0, M * K * sizeof(int32_t));
    mm.b = pi_l1_malloc(0, K * N * sizeof(int32_t));
    mm.c = pi_l1_malloc(0, M * N * sizeof(int32_t));
    int32_t *ref = pi_l2_malloc(M * N * sizeof(int32_t));
    if (mm.a == NULL || mm.b == NULL || mm.c == NULL || ref == NULL) {
        printf("pmsis_matmul: out of memory\n");
        pmsis_exit(-2);
    }
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++)
            mm.a[i * K + k] = (i * 7 + k * 13) % 31 - 15;
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++)
            mm.b[k * N + j] = (k * 11 + j * 5) % 29 - 14;
    for (int i = 0; i < M * N; i++)
        mm.c[i] = 0x5A5A5A5A;                       /* every element must be written */

    pi_cluster_send_task_to_cl(&cluster_dev, pi_cluster_task(&task, cluster_entry, &mm));

    /* the reference on one core, k outermost, in L2 */
    for (int i = 0; i < M * N; i++)
        ref[i] = 0;
    for (int k = 0; k < K; k++)
        for (int i = 0; i < M; i++) {
            int32_t aik = mm.a[i * K + k];
            for (int j = 0; j < N; j++)
                ref[i * N + j] += aik * mm.b[k * N + j];
        }

    int wrong = 0;
    uint32_t checksum = 0;
    for (int i = 0; i < M * N; i++) {
        wrong += mm.c[i] != ref[i];
        checksum += (uint32_t)mm.c[i] * (uint32_t)(i + 1);
    }
    check(wrong == 0, "C differs from the one-core reference");
    check(mm.nb_cores == pi_cl_cluster_nb_cores(), "team size");
    check(mm.rows_done == M, "rows counted in the critical section");
    for (int c = 0; c < mm.nb_cores; c++)
        check(mm.cycles[c] > 0 && mm.instr[c] > 0, "performance counters read 0");

    printf("pmsis_matmul %dx%dx%d on %d cores: %d of %d elements differ\n", M, K, N,
           mm.nb_cores, wrong, M * N);
    printf("checksum=%08x\n", (unsigned)checksum);
    for (int c = 0; c < mm.nb_cores; c++)
        printf("core %d: rows %d-%d cycles=%u instr=%u\n", c, mm.row0[c], mm.row1[c],
               (unsigned)mm.cycles[c], (unsigned)mm.instr[c]);

    pi_l2_free(ref, M * N * sizeof(int32_t));
    pi_l1_free(0, mm.c, M * N * sizeof(int32_t));
    pi_l1_free(0, mm.b, K * N * sizeof(int32_t));
    pi_l1_free(0, mm.a, M * K * sizeof(int32_t));
    pi_cluster_close(&cluster_dev);

    printf("pmsis_matmul: %s\n", failures ? "FAILED" : "OK");
    pmsis_exit(failures);
}

int main(void)
{
    return pmsis_kickoff((void *)test_entry);
}
