/*
 * vdb_set_progress: what a callback is told during vdb_add and vdb_build,
 * from which thread, and what a cancel leaves: an index that answers as
 * before the call, ids free to add again, a journal without the change.
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { DIM = 32, N = 6000, NQ = 50, K = 10 };

typedef struct {
    pthread_t caller;
    uint64_t calls, last_done, total;
    int64_t cancel_from; /* cancel at the first report with done >= cancel_from; -1: never */
    int backwards, other_thread;
} watcher;

static int watch(uint64_t done, uint64_t total, void *context)
{
    watcher *w = context;
    if (!pthread_equal(pthread_self(), w->caller))
        w->other_thread = 1;
    if (w->calls > 0 && done < w->last_done)
        w->backwards = 1;
    w->calls++;
    w->last_done = done;
    w->total = total;
    return w->cancel_from >= 0 && done >= (uint64_t)w->cancel_from;
}

static vdb_index *create(uint32_t threads)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    cfg.ef_construction = 64;
    cfg.threads = threads;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
    return index;
}

Test(progress, add_reports_from_the_calling_thread_from_0_to_total)
{
    float *rows = tu_uniform(N, DIM, 1);
    vdb_index *index = create(2);
    watcher w = {.caller = pthread_self(), .cancel_from = -1};
    cr_assert_eq(vdb_set_progress(index, watch, &w), VDB_OK);
    cr_assert_eq(vdb_add(index, rows, N, NULL), VDB_OK, "%s", vdb_last_error());
    cr_expect_geq(w.calls, 2u, "%llu calls", (unsigned long long)w.calls);
    cr_expect_eq(w.total, (uint64_t)N);
    cr_expect_eq(w.last_done, (uint64_t)N, "the last call said %llu", (unsigned long long)w.last_done);
    cr_expect(!w.backwards, "done went backwards");
    cr_expect(!w.other_thread, "a worker thread called back");
    cr_expect_eq(vdb_set_progress(NULL, watch, &w), VDB_EINVAL);
    vdb_close(index);
    free(rows);
}

/* The index after a canceled add searches as one that never saw it, and the same ids can be added again. */
static void expect_cancel_leaves_nothing(int64_t cancel_from)
{
    float *rows = tu_clustered(2 * N, DIM, 20, 0.3, 2), *queries = tu_clustered_queries(NQ, DIM, 20, 0.3, 2, 3);
    vdb_index *index = create(2);
    cr_assert_eq(vdb_add(index, rows, N, NULL), VDB_OK);
    watcher w = {.caller = pthread_self(), .cancel_from = cancel_from};
    cr_assert_eq(vdb_set_progress(index, watch, &w), VDB_OK);
    uint64_t *ids = malloc(sizeof *ids * N);
    for (uint64_t i = 0; i < N; i++)
        ids[i] = N + i;
    cr_assert_eq(vdb_add(index, rows + (size_t)N * DIM, N, ids), VDB_ECANCELED, "cancel from %lld",
                 (long long)cancel_from);
    cr_expect(cancel_from == 0 ? w.last_done == 0 : w.last_done > 0 && w.last_done < N, "canceled at %llu of %d",
              (unsigned long long)w.last_done, N);
    cr_expect_not_null(strstr(vdb_last_error(), "canceled"), "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), (uint64_t)N, "a canceled add left %llu vectors",
                 (unsigned long long)vdb_count(index));
    uint64_t found[K];
    for (uint32_t q = 0; q < NQ; q++) {
        cr_assert_eq(vdb_search(index, queries + (size_t)q * DIM, K, 64, found, NULL, NULL), VDB_OK);
        for (int i = 0; i < K; i++)
            cr_expect_lt(found[i], (uint64_t)N, "query %u returned id %llu of the canceled add", q,
                         (unsigned long long)found[i]);
    }
    float vector[DIM];
    cr_expect_eq(vdb_get(index, N, vector), VDB_ENOTFOUND);

    cr_assert_eq(vdb_set_progress(index, NULL, NULL), VDB_OK);
    cr_assert_eq(vdb_add(index, rows + (size_t)N * DIM, N, ids), VDB_OK, "adding the ids again: %s", vdb_last_error());
    cr_expect_eq(vdb_count(index), 2u * N);
    uint64_t *exact = malloc(sizeof *exact * NQ * K), *approx = malloc(sizeof *approx * NQ * K);
    cr_assert_eq(vdb_search_batch(index, queries, NQ, K, 64, approx, NULL, NULL), VDB_OK);
    tu_brute_force(TU_L2, rows, 2 * N, NULL, queries, NQ, DIM, K, exact, NULL);
    double recall = tu_recall(approx, exact, NQ, K);
    cr_expect_geq(recall, 0.9, "recall %.3f after a canceled add and a redone one", recall);

    char *dir = tu_temp_dir(), *path = tu_path(dir, "after-cancel.vdb");
    cr_assert_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_verify(path), VDB_OK, "%s", vdb_last_error());
    vdb_index *opened = NULL;
    cr_assert_eq(vdb_open(&opened, path, 0), VDB_OK);
    cr_expect_eq(vdb_count(opened), 2u * N);
    cr_expect_eq(vdb_deleted(opened), 0u, "the file carries the canceled vectors");
    vdb_close(opened);
    free(path);
    tu_remove_dir(dir);
    free(exact);
    free(approx);
    free(ids);
    vdb_close(index);
    free(rows);
    free(queries);
}

Test(progress, a_cancel_before_any_work_adds_nothing) { expect_cancel_leaves_nothing(0); }

Test(progress, a_cancel_midway_adds_nothing) { expect_cancel_leaves_nothing(1); }

/* vdb_build reports too; canceled, its rows are not built and can be built again. */
Test(progress, a_canceled_build_leaves_its_rows_unbuilt)
{
    float *rows = tu_uniform(N, DIM, 4);
    char *dir = tu_temp_dir(), *path = tu_path(dir, "rows.npy");
    cr_assert_eq(tu_write_npy(path, rows, N, DIM), 0);
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.ef_construction = 64;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_map_vectors(&index, path, &cfg), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_build(index, 0, N / 2), VDB_OK);
    watcher w = {.caller = pthread_self(), .cancel_from = 1};
    cr_assert_eq(vdb_set_progress(index, watch, &w), VDB_OK);
    cr_assert_eq(vdb_build(index, N / 2, N / 2), VDB_ECANCELED);
    cr_expect_eq(vdb_count(index), N / 2u);
    float vector[DIM];
    cr_expect_eq(vdb_get(index, N - 1, vector), VDB_ENOTFOUND, "a row of the canceled build is in the index");
    w.cancel_from = -1;
    cr_assert_eq(vdb_build(index, N / 2, N / 2), VDB_OK, "building the rows again: %s", vdb_last_error());
    cr_expect_eq(vdb_count(index), (uint64_t)N);
    cr_expect_eq(w.last_done, N / 2u);
    cr_assert_eq(vdb_get(index, N - 1, vector), VDB_OK);
    cr_expect_arr_eq(vector, rows + (size_t)(N - 1) * DIM, sizeof vector);
    vdb_close(index);
    free(path);
    tu_remove_dir(dir);
    free(rows);
}

/* On an index opened writable, a canceled add is not in the journal: commit and reopen, and it is not there. */
Test(progress, a_canceled_add_is_not_committed)
{
    float *rows = tu_uniform(N, DIM, 5);
    vdb_index *index = create(2);
    cr_assert_eq(vdb_add(index, rows, 100, NULL), VDB_OK);
    char *dir = tu_temp_dir(), *path = tu_path(dir, "index.vdb");
    cr_assert_eq(vdb_save(index, path), VDB_OK);
    vdb_close(index);
    cr_assert_eq(vdb_open(&index, path, VDB_OPEN_WRITABLE), VDB_OK, "%s", vdb_last_error());
    watcher w = {.caller = pthread_self(), .cancel_from = 0};
    cr_assert_eq(vdb_set_progress(index, watch, &w), VDB_OK);
    cr_assert_eq(vdb_add(index, rows + 100 * DIM, N - 100, NULL), VDB_ECANCELED);
    cr_assert_eq(vdb_set_progress(index, NULL, NULL), VDB_OK);
    cr_assert_eq(vdb_add(index, rows + 100 * DIM, 10, NULL), VDB_OK);
    cr_assert_eq(vdb_commit(index), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    cr_assert_eq(vdb_open(&index, path, 0), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), 110u, "reopened with %llu vectors", (unsigned long long)vdb_count(index));
    vdb_close(index);
    free(path);
    tu_remove_dir(dir);
    free(rows);
}

/*
 * The answer to the report of done = total is not asked, even when the
 * calling thread sees the last chunk finish on another thread before the
 * final report: such an add stands. Small adds on two threads, many times,
 * since which thread finishes last is up to the scheduler.
 */
Test(progress, an_answer_at_done_equal_total_never_cancels)
{
    float *base = tu_uniform(100 * 40, DIM, 9);
    vdb_index *index = create(2);
    for (uint64_t round = 0; round < 40; round++) {
        watcher w = {.caller = pthread_self(), .cancel_from = 100};
        cr_assert_eq(vdb_set_progress(index, watch, &w), VDB_OK);
        cr_assert_eq(vdb_add(index, base + round * 100 * DIM, 100, NULL), VDB_OK, "round %llu: %s",
                     (unsigned long long)round, vdb_last_error());
        cr_assert_eq(w.last_done, 100u);
        cr_assert_eq(vdb_count(index), (round + 1) * 100);
    }
    vdb_close(index);
    free(base);
}
