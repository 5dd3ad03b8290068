#ifndef _ISS_TRACE_H
#define _ISS_TRACE_H

/*
 * Named spans on the simulator's timeline trace (`iss run --trace FILE.json`, opened in
 * ui.perfetto.dev): each core has a "core N marks" track; spans nest.
 *
 *   trace_begin("layer1");  ... work ...  trace_end();
 *   trace_begin_id(i);      ... work ...  trace_end();       // a span named "id <i>"
 *   trace_instant("weights loaded");
 *
 * One 32-bit store each to the simulator's trace-marker device (plugins/trace_marker.py,
 * at 0x1A10E000 in the default platform); without --trace the stores are ignored.
 * Names must stay in memory (string literals are fine).
 */

#include <stdint.h>

#ifndef TRACE_MARKER_BASE
#define TRACE_MARKER_BASE 0x1A10E000u
#endif

#define TRACE_BEGIN_OFFSET    0x00
#define TRACE_END_OFFSET      0x04
#define TRACE_BEGIN_ID_OFFSET 0x08
#define TRACE_INSTANT_OFFSET  0x0C

static inline void trace_begin(const char *name)
{
    *(volatile uint32_t *)(TRACE_MARKER_BASE + TRACE_BEGIN_OFFSET) = (uint32_t)(uintptr_t)name;
}

static inline void trace_begin_id(uint32_t id)
{
    *(volatile uint32_t *)(TRACE_MARKER_BASE + TRACE_BEGIN_ID_OFFSET) = id;
}

static inline void trace_end(void)
{
    *(volatile uint32_t *)(TRACE_MARKER_BASE + TRACE_END_OFFSET) = 0;
}

static inline void trace_instant(const char *name)
{
    *(volatile uint32_t *)(TRACE_MARKER_BASE + TRACE_INSTANT_OFFSET) = (uint32_t)(uintptr_t)name;
}

#endif
