/*
 * Parallel loops over a range of work items on short-lived pthreads. The
 * calling thread works too, so a failed thread start only means fewer hands.
 */
#ifndef VDB_PARALLEL_H
#define VDB_PARALLEL_H

#include <stdint.h>

/* Process items [begin, end) as worker number `worker` (0 .. workers-1). */
typedef void (*vdb_task_fn)(void *context, uint64_t begin, uint64_t end, uint32_t worker);

/* Online cores, at least 1. */
uint32_t vdb_online_cores(void);

/* Workers vdb_parallel_for will use: threads (0 = all cores), at most one per chunk. */
uint32_t vdb_parallel_workers(uint32_t threads, uint64_t items, uint64_t chunk);

/*
 * Run task over [0, items) in chunks of `chunk` items handed out in order.
 * With one worker every chunk runs on the calling thread in order, which is
 * what makes a single-threaded build deterministic.
 */
void vdb_parallel_for(uint32_t threads, uint64_t items, uint64_t chunk, vdb_task_fn task, void *context);

#endif
