/*
 * vdb_add: every error code, all-or-nothing on failure, and the ids it gives.
 */
#define _DEFAULT_SOURCE /* mmap flags, ftruncate */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <math.h>
#include <stdlib.h>
#include <sys/mman.h>

enum { DIM = 8 };

static vdb_index *new_index(void)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
    return index;
}

/* The id the index returns first for `vector`, and its distance. */
static uint64_t nearest(const vdb_index *index, const float *vector, float *distance)
{
    uint64_t id = 0;
    float d = -1.0f;
    uint32_t found = 0;
    cr_assert_eq(vdb_search(index, vector, 1, 200, &id, &d, &found), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(found, vdb_count(index) ? 1u : 0u);
    if (distance)
        *distance = d;
    return id;
}

Test(add, null_ids_number_rows_from_the_current_count)
{
    vdb_index *index = new_index();
    float *v = tu_uniform(50, DIM, 1);
    cr_assert_eq(vdb_add(index, v, 30, NULL), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_add(index, v + 30 * DIM, 20, NULL), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), 50u);
    for (uint64_t row = 0; row < 50; row++) {
        float d;
        cr_expect_eq(nearest(index, v + row * DIM, &d), row, "row %llu", (unsigned long long)row);
        cr_expect_float_eq(d, 0.0f, 1e-6f);
    }
    free(v);
    vdb_close(index);
}

Test(add, explicit_ids_come_back_from_search)
{
    vdb_index *index = new_index();
    float *v = tu_uniform(40, DIM, 2);
    uint64_t ids[40];
    for (int i = 0; i < 39; i++)
        ids[i] = 1000003ull * (uint64_t)i + 7;
    ids[39] = UINT64_MAX - 1; /* the largest id allowed */
    cr_assert_eq(vdb_add(index, v, 40, ids), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), 40u);
    for (int i = 0; i < 40; i++)
        cr_expect_eq(nearest(index, v + i * DIM, NULL), ids[i], "row %d", i);
    free(v);
    vdb_close(index);
}

Test(add, zero_rows_is_a_no_op)
{
    vdb_index *index = new_index();
    float *v = tu_uniform(1, DIM, 3);
    uint64_t id = 5;
    cr_expect_eq(vdb_add(index, v, 0, NULL), VDB_OK);
    cr_expect_eq(vdb_add(index, v, 0, &id), VDB_OK);
    cr_expect_eq(vdb_count(index), 0u);
    free(v);
    vdb_close(index);
}

Test(add, refuses_null_index_and_null_vectors)
{
    vdb_index *index = new_index();
    float *v = tu_uniform(2, DIM, 4);
    cr_expect_eq(vdb_add(NULL, v, 2, NULL), VDB_EINVAL);
    cr_expect_eq(vdb_add(index, NULL, 2, NULL), VDB_EINVAL);
    cr_expect_eq(vdb_count(index), 0u);
    free(v);
    vdb_close(index);
}

/* A batch whose row `bad` holds `value` is refused with VDB_EINVAL and adds nothing. */
static void expect_non_finite_refused(float value, uint64_t bad)
{
    vdb_index *index = new_index();
    float *v = tu_uniform(10, DIM, 5);
    cr_assert_eq(vdb_add(index, v, 2, NULL), VDB_OK);
    float *batch = tu_uniform(6, DIM, 6);
    batch[bad * DIM + 3] = value;
    cr_expect_eq(vdb_add(index, batch, 6, NULL), VDB_EINVAL, "value %f in row %llu", value, (unsigned long long)bad);
    cr_expect_eq(vdb_count(index), 2u, "a refused batch changed the count");
    /* Nothing of the refused batch is searchable, and the ids it would have had are still free. */
    cr_expect_eq(vdb_add(index, v + 2 * DIM, 8, NULL), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), 10u);
    for (uint64_t row = 0; row < 10; row++)
        cr_expect_eq(nearest(index, v + row * DIM, NULL), row);
    free(batch);
    free(v);
    vdb_close(index);
}

Test(add, refuses_nan_and_adds_nothing) { expect_non_finite_refused(NAN, 5); }
Test(add, refuses_positive_inf_and_adds_nothing) { expect_non_finite_refused(INFINITY, 0); }
Test(add, refuses_negative_inf_and_adds_nothing) { expect_non_finite_refused(-INFINITY, 3); }

Test(add, refuses_uint64_max_id_and_adds_nothing)
{
    vdb_index *index = new_index();
    float *v = tu_uniform(3, DIM, 7);
    uint64_t ids[3] = {1, UINT64_MAX, 2};
    cr_expect_eq(vdb_add(index, v, 3, ids), VDB_EINVAL);
    cr_expect_eq(vdb_count(index), 0u);
    free(v);
    vdb_close(index);
}

Test(add, refuses_id_repeated_in_batch_and_adds_nothing)
{
    vdb_index *index = new_index();
    float *v = tu_uniform(5, DIM, 8);
    uint64_t ids[5] = {10, 11, 12, 13, 11};
    cr_expect_eq(vdb_add(index, v, 5, ids), VDB_EEXIST);
    cr_expect_eq(vdb_count(index), 0u);
    /* 10, 12, 13 were not recorded: they can be added now. */
    uint64_t again[3] = {10, 12, 13};
    cr_expect_eq(vdb_add(index, v, 3, again), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), 3u);
    free(v);
    vdb_close(index);
}

Test(add, refuses_id_already_present_and_adds_nothing)
{
    vdb_index *index = new_index();
    float *v = tu_uniform(6, DIM, 9);
    uint64_t first[2] = {100, 200};
    cr_assert_eq(vdb_add(index, v, 2, first), VDB_OK);
    uint64_t second[4] = {300, 400, 200, 500};
    cr_expect_eq(vdb_add(index, v + 2 * DIM, 4, second), VDB_EEXIST);
    cr_expect_eq(vdb_count(index), 2u);
    /* Row 2 (id 300) was refused with its batch: searching for it finds one of the first two. */
    uint64_t id = nearest(index, v + 2 * DIM, NULL);
    cr_expect(id == 100 || id == 200, "found id %llu from a refused batch", (unsigned long long)id);
    free(v);
    vdb_close(index);
}

Test(add, null_ids_continue_after_the_largest_id)
{
    vdb_index *index = new_index();
    float *v = tu_uniform(6, DIM, 10);
    uint64_t id = 3;
    cr_assert_eq(vdb_add(index, v, 1, &id), VDB_OK);
    cr_expect_eq(vdb_add(index, v + DIM, 2, NULL), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), 3u);
    cr_expect_eq(nearest(index, v + DIM, NULL), 4u, "the first NULL id after id 3");
    cr_expect_eq(nearest(index, v + 2 * DIM, NULL), 5u);
    /* A deleted id still counts: NULL ids never hand out an id the caller just deleted. */
    uint64_t five = 5;
    cr_assert_eq(vdb_delete(index, &five, 1), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_add(index, v + 3 * DIM, 1, NULL), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(nearest(index, v + 3 * DIM, NULL), 6u);
    free(v);
    vdb_close(index);
}

Test(add, refuses_opened_index_with_readonly)
{
    char *dir = tu_temp_dir();
    char *path = tu_path(dir, "a.vdb");
    vdb_index *index = new_index();
    float *v = tu_uniform(20, DIM, 11);
    cr_assert_eq(vdb_add(index, v, 10, NULL), VDB_OK);
    cr_assert_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    cr_assert_eq(vdb_open(&index, path, VDB_OPEN_DEFAULT), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_add(index, v + 10 * DIM, 10, NULL), VDB_EREADONLY);
    cr_expect_eq(vdb_count(index), 10u);
    vdb_close(index);
    free(v);
    free(path);
    tu_remove_dir(dir);
}

Test(add, refuses_mapped_vector_index_with_readonly)
{
    char *dir = tu_temp_dir();
    char *path = tu_path(dir, "v.npy");
    float *v = tu_uniform(20, DIM, 12);
    cr_assert_eq(tu_write_npy(path, v, 10, DIM), 0);
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    vdb_index *index = NULL;
    cr_assert_eq(vdb_map_vectors(&index, path, &cfg), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_add(index, v + 10 * DIM, 10, NULL), VDB_EREADONLY);
    cr_expect_eq(vdb_count(index), 0u);
    vdb_close(index);
    free(v);
    free(path);
    tu_remove_dir(dir);
}

Test(add, many_small_batches_keep_every_vector_findable)
{
    vdb_index *index = new_index();
    enum { N = 300 };
    float *v = tu_uniform(N, DIM, 13);
    for (uint64_t row = 0; row < N; row += 7) {
        uint64_t n = row + 7 <= N ? 7 : N - row;
        cr_assert_eq(vdb_add(index, v + row * DIM, n, NULL), VDB_OK, "%s", vdb_last_error());
    }
    cr_expect_eq(vdb_count(index), (uint64_t)N);
    int misses = 0;
    for (uint64_t row = 0; row < N; row++)
        misses += nearest(index, v + row * DIM, NULL) != row;
    cr_expect_eq(misses, 0, "%d of %d stored vectors were not their own nearest neighbour", misses, N);
    free(v);
    vdb_close(index);
}

Test(add, more_than_2_pow_32_minus_2_vectors_is_erange)
{
    /* 2^32 - 1 one-float rows of zeros, mapped but never backed: refusing them must not need their memory. */
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = 1;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    uint64_t n = UINT32_MAX;
    size_t bytes = (size_t)n * sizeof(float);
    void *rows = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    cr_assert_neq(rows, MAP_FAILED, "cannot reserve 16 GiB of address space");
    cr_expect_eq(vdb_add(index, rows, n, NULL), VDB_ERANGE);
    cr_expect_eq(vdb_count(index), 0u);
    munmap(rows, bytes);
    vdb_close(index);
}
