#ifndef _ISS_DMA_H
#define _ISS_DMA_H

/*
 * Cluster DMA (MCHAN v7) with pulp-runtime's HAL names (hal/dma/mchan_v7.h) and the pmsis
 * cluster DMA calls (pi_cl_dma_cmd / pi_cl_dma_cmd_2d / pi_cl_dma_cmd_wait).
 *
 *   int id = plp_dma_extToL1(l1_dst, l2_src, size);     // L2 -> L1, returns the transfer id
 *   ... compute ...
 *   plp_dma_wait(id);                                    // sleep until done, free the id
 *
 * `ext` is the L2 address, `loc` the L1 (TCDM) address; sizes are 1..0x1FFFF bytes (the
 * 17-bit LEN field).  2-D transfers are 2-D on the L2 side (as MCHAN): `length` bytes per
 * line, lines `stride` bytes apart in L2, contiguous in L1.  Waiting sleeps in the event
 * unit (cluster.h) on the DMA event (line 8) between polls of the status register.
 * Registers and simulator model: plugins/cluster_dma.py.  Every call goes through the
 * core-private alias (ARCHI_MCHAN_DEMUX_ADDR): each core has its own command channel.
 */

#include <stdint.h>
#include <pulp.h>        /* memory map, event unit HAL (cluster.h) */

#define MCHAN_CMD_OFFSET            0x0
#define MCHAN_STATUS_OFFSET         0x4
#define MCHAN_CMD_CMD_LEN_BIT       0
#define MCHAN_CMD_CMD_LEN_WIDTH     17
#define MCHAN_CMD_CMD_TYPE_BIT      17      /* 1: external (L2) -> L1 */
#define MCHAN_CMD_CMD_INC_BIT       18
#define MCHAN_CMD_CMD__2D_EXT_BIT   19
#define MCHAN_CMD_CMD_ELE_BIT       20      /* event on line 8 at the end */
#define MCHAN_CMD_CMD_ILE_BIT       21      /* "interrupt" line 9 at the end */
#define MCHAN_CMD_CMD_BLE_BIT       22      /* to every core instead of the pushing one */
#define MCHAN_CMD_CMD__2D_TCDM_BIT  23      /* not modelled by the simulator */

#define PLP_DMA_LOC2EXT     0
#define PLP_DMA_EXT2LOC     1
#define PLP_DMA_1D          0
#define PLP_DMA_2D          1
#define PLP_DMA_NO_TRIG_EVT 0
#define PLP_DMA_TRIG_EVT    1
#define PLP_DMA_NO_TRIG_IRQ 0
#define PLP_DMA_TRIG_IRQ    1
#define PLP_DMA_PRIV        0
#define PLP_DMA_SHARED      1

#define ARCHI_CL_EVT_DMA0   8
#define ARCHI_CL_EVT_DMA1   9

static inline void __dma_write(uint32_t offset, uint32_t value)
{
    hal_write32(ARCHI_MCHAN_DEMUX_ADDR + offset, value);
}

static inline uint32_t __dma_read(uint32_t offset)
{
    return hal_read32(ARCHI_MCHAN_DEMUX_ADDR + offset);
}

/* ---- low level (pulp-runtime names) ---- */
static inline int plp_dma_counter_alloc(void) { return (int)__dma_read(MCHAN_CMD_OFFSET); }
static inline void plp_dma_counter_free(int counter) { __dma_write(MCHAN_STATUS_OFFSET, 1u << counter); }
static inline unsigned int plp_dma_status(void) { return __dma_read(MCHAN_STATUS_OFFSET); }

static inline unsigned int plp_dma_getCmd(int ext2loc, unsigned int size, int is2D, int trigEvt,
                                          int trigIrq, int broadcast)
{
    return (size & ((1u << MCHAN_CMD_CMD_LEN_WIDTH) - 1)) | (unsigned)ext2loc << MCHAN_CMD_CMD_TYPE_BIT
           | 1u << MCHAN_CMD_CMD_INC_BIT | (unsigned)is2D << MCHAN_CMD_CMD__2D_EXT_BIT
           | (unsigned)trigEvt << MCHAN_CMD_CMD_ELE_BIT | (unsigned)trigIrq << MCHAN_CMD_CMD_ILE_BIT
           | (unsigned)broadcast << MCHAN_CMD_CMD_BLE_BIT;
}

static inline void plp_dma_cmd_push(unsigned int cmd, unsigned int locAddr, uint32_t extAddr)
{
    __dma_write(MCHAN_CMD_OFFSET, cmd);
    __dma_write(MCHAN_CMD_OFFSET, locAddr);
    __dma_write(MCHAN_CMD_OFFSET, extAddr);
}

/* 2-D: then the line length, then the stride (the order pulp-runtime pushes them in) */
static inline void plp_dma_cmd_push_2d(unsigned int cmd, unsigned int locAddr, uint32_t extAddr,
                                       unsigned int stride, unsigned int length)
{
    plp_dma_cmd_push(cmd, locAddr, extAddr);
    __dma_write(MCHAN_CMD_OFFSET, length);
    __dma_write(MCHAN_CMD_OFFSET, stride);
}

/* ---- copies: allocate an id, push, return the id ---- */
static inline int plp_dma_memcpy(uint32_t ext, unsigned int loc, unsigned int size, int ext2loc)
{
    int id = plp_dma_counter_alloc();
    plp_dma_cmd_push(plp_dma_getCmd(ext2loc, size, PLP_DMA_1D, PLP_DMA_TRIG_EVT,
                                    PLP_DMA_NO_TRIG_IRQ, PLP_DMA_SHARED), loc, ext);
    return id;
}

static inline int plp_dma_memcpy_2d(uint32_t ext, unsigned int loc, unsigned int size,
                                    unsigned int stride, unsigned int length, int ext2loc)
{
    int id = plp_dma_counter_alloc();
    plp_dma_cmd_push_2d(plp_dma_getCmd(ext2loc, size, PLP_DMA_2D, PLP_DMA_TRIG_EVT,
                                       PLP_DMA_NO_TRIG_IRQ, PLP_DMA_SHARED), loc, ext, stride, length);
    return id;
}

static inline int plp_dma_extToL1(unsigned int loc, uint32_t ext, unsigned int size)
{ return plp_dma_memcpy(ext, loc, size, PLP_DMA_EXT2LOC); }
static inline int plp_dma_l1ToExt(uint32_t ext, unsigned int loc, unsigned int size)
{ return plp_dma_memcpy(ext, loc, size, PLP_DMA_LOC2EXT); }
static inline int plp_dma_extToL1_2d(unsigned int loc, uint32_t ext, unsigned int size,
                                     unsigned int stride, unsigned int length)
{ return plp_dma_memcpy_2d(ext, loc, size, stride, length, PLP_DMA_EXT2LOC); }
static inline int plp_dma_l1ToExt_2d(uint32_t ext, unsigned int loc, unsigned int size,
                                     unsigned int stride, unsigned int length)
{ return plp_dma_memcpy_2d(ext, loc, size, stride, length, PLP_DMA_LOC2EXT); }

/* ---- waits ---- */
/* Sleep until transfer `counter` is done, then free its id. */
static inline void plp_dma_wait(unsigned int counter)
{
    while (plp_dma_status() & (1u << counter))
        eu_evt_maskWaitAndClr(1u << ARCHI_CL_EVT_DMA0);     /* cluster.h */
    plp_dma_counter_free((int)counter);
}

/* Sleep until no transfer is moving data, then free every id. */
static inline void plp_dma_barrier(void)
{
    while (plp_dma_status() & 0xFFFFu)
        eu_evt_maskWaitAndClr(1u << ARCHI_CL_EVT_DMA0);     /* cluster.h */
    __dma_write(MCHAN_STATUS_OFFSET, 0xFFFFFFFFu);
}

/* ---- pmsis cluster DMA ---- */
typedef enum { PI_CL_DMA_DIR_LOC2EXT = 0, PI_CL_DMA_DIR_EXT2LOC = 1 } pi_cl_dma_dir_e;
typedef struct { int id; } pi_cl_dma_cmd_t;

static inline void pi_cl_dma_cmd(uint32_t ext, uint32_t loc, uint32_t size, pi_cl_dma_dir_e dir,
                                 pi_cl_dma_cmd_t *cmd)
{
    cmd->id = plp_dma_memcpy(ext, loc, size, dir);
}

static inline void pi_cl_dma_cmd_2d(uint32_t ext, uint32_t loc, uint32_t size, uint32_t stride,
                                    uint32_t length, pi_cl_dma_dir_e dir, pi_cl_dma_cmd_t *cmd)
{
    cmd->id = plp_dma_memcpy_2d(ext, loc, size, stride, length, dir);
}

static inline void pi_cl_dma_cmd_wait(pi_cl_dma_cmd_t *cmd) { plp_dma_wait((unsigned)cmd->id); }
static inline void pi_cl_dma_wait_all(void) { plp_dma_barrier(); }

#endif
