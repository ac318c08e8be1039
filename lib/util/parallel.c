/*
 * A parallel-for with dynamic chunking: workers take the next chunk from a
 * shared atomic counter, so uneven items (inserts that descend more levels,
 * queries that visit more nodes) balance out.
 */
#include "util/parallel.h"
#include "util/limits.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    _Atomic uint64_t next;
    uint64_t items;
    uint64_t chunk;
    vdb_task_fn task;
    void *context;
} shared_loop;

typedef struct {
    shared_loop *loop;
    uint32_t worker;
} worker_args;

uint32_t vdb_online_cores(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores < 1 ? 1 : cores > VDB_MAX_THREADS ? VDB_MAX_THREADS : (uint32_t)cores;
}

uint32_t vdb_parallel_workers(uint32_t threads, uint64_t items, uint64_t chunk)
{
    uint32_t workers = threads == 0 ? vdb_online_cores() : threads;
    if (workers > VDB_MAX_THREADS)
        workers = VDB_MAX_THREADS;
    uint64_t chunks = chunk == 0 ? items : (items + chunk - 1) / chunk;
    if (chunks < workers)
        workers = chunks == 0 ? 1 : (uint32_t)chunks;
    return workers;
}

static void run_chunks(shared_loop *loop, uint32_t worker)
{
    for (;;) {
        uint64_t begin = atomic_fetch_add_explicit(&loop->next, loop->chunk, memory_order_relaxed);
        if (begin >= loop->items)
            return;
        uint64_t end = begin + loop->chunk < loop->items ? begin + loop->chunk : loop->items;
        loop->task(loop->context, begin, end, worker);
    }
}

static void *worker_main(void *raw)
{
    worker_args *args = raw;
    run_chunks(args->loop, args->worker);
    return NULL;
}

void vdb_parallel_for(uint32_t threads, uint64_t items, uint64_t chunk, vdb_task_fn task, void *context)
{
    if (items == 0)
        return;
    if (chunk == 0)
        chunk = 1;
    shared_loop loop = {.items = items, .chunk = chunk, .task = task, .context = context};
    atomic_init(&loop.next, 0);
    uint32_t workers = vdb_parallel_workers(threads, items, chunk);

    pthread_t *handles = workers > 1 ? malloc(sizeof *handles * (workers - 1)) : NULL;
    worker_args *args = workers > 1 ? malloc(sizeof *args * (workers - 1)) : NULL;
    uint32_t started = 0;
    if (handles && args) {
        for (uint32_t i = 0; i + 1 < workers; i++) {
            args[i] = (worker_args){&loop, i + 1};
            if (pthread_create(&handles[i], NULL, worker_main, &args[i]) != 0)
                break;
            started++;
        }
    }
    run_chunks(&loop, 0);
    for (uint32_t i = 0; i < started; i++)
        pthread_join(handles[i], NULL);
    free(handles);
    free(args);
}
