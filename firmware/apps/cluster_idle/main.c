/*
 * Idle workers: core 0 computes alone for a while (longer than a scheduler quantum) and
 * never forks.  The other cores must go to sleep in the event unit at boot and stay
 * asleep: tests/test_cluster.py checks their instruction and sleep counts.
 */
#include <stdio.h>
#include "pulp.h"

int main(void)
{
    volatile unsigned sum = 0;
    for (unsigned i = 0; i < 20000; i++)
        sum += i;
    printf("sum %u\n", sum);
    return 0;
}
