/*
 * vdb_vectors_open / count / dim / row / close over the three file formats,
 * and each error code vdb_vectors_open gives.
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <stdlib.h>
#include <string.h>

enum { DIM = 5, ROWS = 37 };

static vdb_vectors *const SENTINEL = (vdb_vectors *)(uintptr_t)0x5eed;

static void read_back(const char *name, int (*writer)(const char *, const float *, uint64_t, uint32_t), uint32_t dim)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, name);
    float *rows = tu_uniform(ROWS, DIM, 3);
    cr_assert_eq(writer(path, rows, ROWS, DIM), 0);
    vdb_vectors *v = NULL;
    cr_assert_eq(vdb_vectors_open(&v, path, dim), VDB_OK, "%s: %s", name, vdb_last_error());
    cr_expect_eq(vdb_vectors_count(v), (uint64_t)ROWS);
    cr_expect_eq(vdb_vectors_dim(v), (uint32_t)DIM);
    for (uint64_t r = 0; r < ROWS; r++) {
        const float *row = vdb_vectors_row(v, r);
        cr_assert_not_null(row, "%s row %llu", name, (unsigned long long)r);
        cr_expect_arr_eq(row, rows + r * DIM, sizeof(float) * DIM, "%s row %llu", name, (unsigned long long)r);
    }
    cr_expect_null(vdb_vectors_row(v, ROWS));
    cr_expect_null(vdb_vectors_row(v, UINT64_MAX));
    vdb_vectors_close(v);
    free(rows);
    free(path);
    tu_remove_dir(dir);
}

Test(vectors, raw_rows_read_back) { read_back("v.bin", tu_write_raw, DIM); }
Test(vectors, fvecs_rows_read_back) { read_back("v.fvecs", tu_write_fvecs, 0); }
Test(vectors, npy_rows_read_back) { read_back("v.npy", tu_write_npy, 0); }
Test(vectors, npy_rows_read_back_with_given_dim) { read_back("v.npy", tu_write_npy, DIM); }

static void expect_open_fails(const char *path, uint32_t dim, int code, const char *what)
{
    vdb_vectors *v = SENTINEL;
    int got = vdb_vectors_open(&v, path, dim);
    cr_expect_eq(got, code, "%s: expected %s, got %s: %s", what, vdb_strerror(code), vdb_strerror(got),
                 vdb_last_error());
    cr_expect_eq(v, SENTINEL, "%s: *out written on failure", what);
    if (got == VDB_OK && v != SENTINEL)
        vdb_vectors_close(v);
}

Test(vectors, open_errors)
{
    char *dir = tu_temp_dir();
    char *raw = tu_path(dir, "v.bin"), *npy = tu_path(dir, "v.npy"), *fvecs = tu_path(dir, "v.fvecs");
    char *empty = tu_path(dir, "e.bin"), *missing = tu_path(dir, "nope.npy"), *garbage = tu_path(dir, "g.npy");
    float *rows = tu_uniform(ROWS, DIM, 4);
    cr_assert_eq(tu_write_raw(raw, rows, ROWS, DIM), 0);
    cr_assert_eq(tu_write_npy(npy, rows, ROWS, DIM), 0);
    cr_assert_eq(tu_write_fvecs(fvecs, rows, ROWS, DIM), 0);
    cr_assert_eq(tu_write_file(empty, "", 0), 0);
    cr_assert_eq(tu_write_file(garbage, "not an npy file at all", 22), 0);

    vdb_vectors *v = SENTINEL;
    cr_expect_eq(vdb_vectors_open(NULL, raw, DIM), VDB_EINVAL);
    cr_expect_eq(vdb_vectors_open(&v, NULL, DIM), VDB_EINVAL);
    cr_expect_eq(v, SENTINEL);
    expect_open_fails(raw, 0, VDB_EINVAL, "raw without dim");
    expect_open_fails(raw, 65537, VDB_EINVAL, "dim 65537");
    expect_open_fails(raw, DIM + 2, VDB_EFORMAT, "raw with dim 7 (185 floats)");
    expect_open_fails(npy, DIM + 1, VDB_EDIM, "npy with the wrong dim");
    expect_open_fails(fvecs, DIM + 1, VDB_EDIM, "fvecs with the wrong dim");
    expect_open_fails(empty, DIM, VDB_EFORMAT, "empty file");
    expect_open_fails(garbage, 0, VDB_EFORMAT, ".npy without the magic");
    expect_open_fails(missing, 0, VDB_EIO, "missing path");
    expect_open_fails(dir, DIM, VDB_EIO, "directory");

    free(rows);
    free(raw);
    free(npy);
    free(fvecs);
    free(empty);
    free(missing);
    free(garbage);
    tu_remove_dir(dir);
}

Test(vectors, accessors_accept_null)
{
    cr_expect_eq(vdb_vectors_count(NULL), 0u);
    cr_expect_eq(vdb_vectors_dim(NULL), 0u);
    cr_expect_null(vdb_vectors_row(NULL, 0));
    vdb_vectors_close(NULL);
}
