#include <stdio.h>
#include <pulp.h>

int main(void)
{
    int core = pi_core_id();
    int cluster = pi_cluster_id();
    printf("Hello from core %d!\n", core);
    printf("cluster %d, L2 base 0x%x, answer %d\n", cluster, ARCHI_L2_BASE, 42);
    return 0;
}
