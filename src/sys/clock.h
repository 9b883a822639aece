/* The clock (the system part, src/sys): the one place that asks the system for the time.
 * Every part asks clock_now(); the billing engine takes "now" as an argument
 * so a test clock can stand in. Timestamps are int64 Unix seconds, UTC. */
#ifndef OG_CLOCK_H
#define OG_CLOCK_H

#include <stdint.h>

int64_t clock_now(void);
/* Monotonic nanoseconds, for durations only (latency, benchmarks). */
int64_t clock_mono_ns(void);

#endif
