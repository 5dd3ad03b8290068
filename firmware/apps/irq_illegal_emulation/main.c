/*
 * An exception handler that emulates an instruction the core does not have (runtime irq.h).
 *
 * "madd1 rd, rs1, rs2" (rd = rs1 * rs2 + 1) is given an R-type encoding in the reserved
 * major opcode 0x77 (RISC-V unprivileged spec, Table "RISC-V base opcode map": reserved),
 * so the core raises an illegal-instruction exception (mcause 2) on it.  The handler reads
 * the instruction at mepc, computes the result into the saved register frame and returns
 * past it (mepc + 4).  An ecall (mcause 11) is handled too: a7 selects a service, a0 is
 * the result.  Self-checks against the same arithmetic done in C.
 */
#include <stdio.h>
#include <stdint.h>
#include <irq.h>
#include <selftest.h>

#define OPCODE_MADD1 0x77u
/* madd1 a2, a0, a1 */
#define MADD1_A2_A0_A1 ((11u << 20) | (10u << 15) | (12u << 7) | OPCODE_MADD1)

static volatile int emulated, ecalls;

static void on_exception(uint32_t *frame, uint32_t mcause)
{
    uint32_t pc = frame[0];
    if (mcause == MCAUSE_ILLEGAL_INSTRUCTION) {
        uint32_t word = *(volatile uint32_t *)pc;
        if ((word & 0x7f) == OPCODE_MADD1) {
            uint32_t rd = (word >> 7) & 31, rs1 = (word >> 15) & 31, rs2 = (word >> 20) & 31;
            if (rd != 0)
                frame[rd] = frame[rs1] * frame[rs2] + 1;
            frame[0] = pc + 4;
            emulated++;
            return;
        }
    }
    if (mcause == MCAUSE_ECALL_M) {
        if (frame[17] == 1)                  /* a7 = 1: a0 = a0 + a1 */
            frame[10] = frame[10] + frame[11];
        else
            frame[10] = (uint32_t)-1;
        frame[0] = pc + 4;
        ecalls++;
        return;
    }
    printf("unexpected exception mcause %u at 0x%08x\n", (unsigned)mcause, (unsigned)pc);
    frame[0] = pc + 4;
}

static inline uint32_t madd1(uint32_t x, uint32_t y)
{
    register uint32_t a0 __asm__("a0") = x;
    register uint32_t a1 __asm__("a1") = y;
    register uint32_t a2 __asm__("a2");
    __asm__ volatile (".word %3" : "=r"(a2) : "r"(a0), "r"(a1), "i"(MADD1_A2_A0_A1));
    return a2;
}

static inline uint32_t service(uint32_t number, uint32_t x, uint32_t y)
{
    register uint32_t a7 __asm__("a7") = number;
    register uint32_t a0 __asm__("a0") = x;
    register uint32_t a1 __asm__("a1") = y;
    __asm__ volatile ("ecall" : "+r"(a0) : "r"(a1), "r"(a7) : "memory");
    return a0;
}

int main(void)
{
    exception_set_handler(on_exception);
    uint32_t sum = 0;
    int bad = 0;
    for (uint32_t i = 0; i < 50; i++) {
        uint32_t got = madd1(i, 3 * i + 7);
        if (got != i * (3 * i + 7) + 1)
            bad++;
        sum += got;
    }
    uint32_t s = service(1, 40, 2), unknown = service(9, 0, 0);
    printf("madd1 sum %u, %d emulated, ecall 1 -> %u, ecall 9 -> 0x%x (%d ecalls)\n",
           (unsigned)sum, emulated, (unsigned)s, (unsigned)unknown, ecalls);
    check(bad == 0, "madd1 results");
    check(emulated == 50, "one exception per madd1");
    check(s == 42 && unknown == 0xffffffffu && ecalls == 2, "ecall services");
    return selftest_report("irq_illegal_emulation");
}
