/*
 * vdb_map_vectors over raw, .fvecs and .npy files, and vdb_build: every
 * error code, partial and out-of-order builds.
 */
#define _DEFAULT_SOURCE /* mmap flags, ftruncate */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { DIM = 12, ROWS = 400 };

static vdb_index *const SENTINEL = (vdb_index *)(uintptr_t)0x5eed;

typedef struct {
    char *dir;
    char *path;
    float *rows;
} fixture;

/* A folder holding `name` with ROWS x DIM uniform floats written by `writer`. */
static fixture make_file(const char *name, int (*writer)(const char *, const float *, uint64_t, uint32_t))
{
    fixture f = {tu_temp_dir(), NULL, tu_uniform(ROWS, DIM, 99)};
    f.path = tu_path(f.dir, name);
    cr_assert_eq(writer(f.path, f.rows, ROWS, DIM), 0, "cannot write %s", f.path);
    return f;
}

static void drop(fixture *f)
{
    free(f->rows);
    free(f->path);
    tu_remove_dir(f->dir);
}

static vdb_config config_with_dim(uint32_t dim)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = dim;
    return cfg;
}

static int map(vdb_index **out, const char *path, uint32_t dim)
{
    vdb_config cfg = config_with_dim(dim);
    return vdb_map_vectors(out, path, &cfg);
}

static void expect_map_fails(const char *path, uint32_t dim, int code, const char *what)
{
    vdb_index *index = SENTINEL;
    int got = map(&index, path, dim);
    cr_expect_eq(got, code, "%s: expected %d (%s), got %d (%s): %s", what, code, vdb_strerror(code), got,
                 vdb_strerror(got), vdb_last_error());
    cr_expect_eq(index, SENTINEL, "%s: *out written on failure", what);
    if (got == VDB_OK && index != SENTINEL)
        vdb_close(index);
}

/* Every row of `rows` is found as its own row number at distance 0. */
static void expect_rows_findable(const vdb_index *index, const float *rows, uint64_t first, uint64_t end)
{
    int misses = 0;
    for (uint64_t row = first; row < end; row++) {
        uint64_t id;
        float d;
        cr_assert_eq(vdb_search(index, rows + row * DIM, 1, 100, &id, &d, NULL), VDB_OK);
        misses += id != row || d > 1e-6f;
    }
    cr_expect_eq(misses, 0, "%d of rows %llu..%llu not found as themselves", misses, (unsigned long long)first,
                 (unsigned long long)end);
}

static void map_build_and_check(const char *name, int (*writer)(const char *, const float *, uint64_t, uint32_t),
                                uint32_t dim_given)
{
    fixture f = make_file(name, writer);
    vdb_index *index = NULL;
    cr_assert_eq(map(&index, f.path, dim_given), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_dim(index), (uint32_t)DIM);
    cr_expect_eq(vdb_count(index), 0u, "nothing is linked before vdb_build");
    cr_assert_eq(vdb_build(index, 0, ROWS), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), (uint64_t)ROWS);
    expect_rows_findable(index, f.rows, 0, ROWS);
    vdb_close(index);
    drop(&f);
}

Test(map, raw_file_with_dim_builds_and_searches) { map_build_and_check("v.f32", tu_write_raw, DIM); }
Test(map, fvecs_file_reads_its_dim) { map_build_and_check("v.fvecs", tu_write_fvecs, 0); }
Test(map, fvecs_file_with_matching_dim) { map_build_and_check("v.fvecs", tu_write_fvecs, DIM); }
Test(map, npy_file_reads_its_dim) { map_build_and_check("v.npy", tu_write_npy, 0); }
Test(map, npy_file_with_matching_dim) { map_build_and_check("v.npy", tu_write_npy, DIM); }

Test(map, raw_file_needs_dim)
{
    fixture f = make_file("v.f32", tu_write_raw);
    expect_map_fails(f.path, 0, VDB_EINVAL, "raw, dim 0");
    drop(&f);
}

Test(map, raw_file_size_not_a_multiple_of_row_is_eformat)
{
    fixture f = make_file("v.f32", tu_write_raw);
    expect_map_fails(f.path, DIM + 1, VDB_EFORMAT, "raw, dim 13 over 12-float rows"); /* 400*12 % 13 != 0 */
    cr_assert_eq(tu_write_file(f.path, f.rows, sizeof(float) * DIM * 3 + 2), 0);
    expect_map_fails(f.path, DIM, VDB_EFORMAT, "raw, 2 stray bytes");
    drop(&f);
}

Test(map, fvecs_dim_mismatch_is_edim)
{
    fixture f = make_file("v.fvecs", tu_write_fvecs);
    expect_map_fails(f.path, DIM * 2, VDB_EDIM, "fvecs, dim 24 for a 12-d file");
    drop(&f);
}

Test(map, fvecs_truncated_row_is_eformat)
{
    fixture f = make_file("v.fvecs", tu_write_fvecs);
    cr_assert_eq(tu_write_file(f.path, (int32_t[]){DIM}, 4), 0); /* a dimension and no floats */
    expect_map_fails(f.path, 0, VDB_EFORMAT, "fvecs, header only");
    drop(&f);
}

Test(map, npy_dim_mismatch_is_edim)
{
    fixture f = make_file("v.npy", tu_write_npy);
    expect_map_fails(f.path, 7, VDB_EDIM, "npy, dim 7 for a 12-d file");
    drop(&f);
}

Test(map, npy_float64_is_eformat)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "v.npy");
    double data[4 * 2] = {0};
    cr_assert_eq(tu_write_npy_custom(path, "<f8", "False", "(4, 2)", data, sizeof data), 0);
    expect_map_fails(path, 0, VDB_EFORMAT, "npy '<f8'");
    free(path);
    tu_remove_dir(dir);
}

Test(map, npy_big_endian_is_eformat)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "v.npy");
    float data[4 * 2] = {0};
    cr_assert_eq(tu_write_npy_custom(path, ">f4", "False", "(4, 2)", data, sizeof data), 0);
    expect_map_fails(path, 0, VDB_EFORMAT, "npy '>f4'");
    free(path);
    tu_remove_dir(dir);
}

Test(map, npy_fortran_order_is_eformat)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "v.npy");
    float data[4 * 2] = {0};
    cr_assert_eq(tu_write_npy_custom(path, "<f4", "True", "(4, 2)", data, sizeof data), 0);
    expect_map_fails(path, 0, VDB_EFORMAT, "npy fortran_order True");
    free(path);
    tu_remove_dir(dir);
}

Test(map, npy_one_dimensional_is_eformat)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "v.npy");
    float data[8] = {0};
    cr_assert_eq(tu_write_npy_custom(path, "<f4", "False", "(8,)", data, sizeof data), 0);
    expect_map_fails(path, 0, VDB_EFORMAT, "npy shape (8,)");
    free(path);
    tu_remove_dir(dir);
}

Test(map, npy_three_dimensional_is_eformat)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "v.npy");
    float data[2 * 2 * 2] = {0};
    cr_assert_eq(tu_write_npy_custom(path, "<f4", "False", "(2, 2, 2)", data, sizeof data), 0);
    expect_map_fails(path, 0, VDB_EFORMAT, "npy shape (2, 2, 2)");
    free(path);
    tu_remove_dir(dir);
}

Test(map, npy_shape_larger_than_data_is_eformat)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "v.npy");
    float data[4 * 2] = {0};
    cr_assert_eq(tu_write_npy_custom(path, "<f4", "False", "(5, 2)", data, sizeof data), 0);
    expect_map_fails(path, 0, VDB_EFORMAT, "npy (5, 2) holding 4 rows");
    cr_assert_eq(tu_write_npy_custom(path, "<f4", "False", "(18446744073709551615, 2)", data, sizeof data), 0);
    expect_map_fails(path, 0, VDB_EFORMAT, "npy with 2^64-1 rows");
    free(path);
    tu_remove_dir(dir);
}

Test(map, empty_file_is_eformat)
{
    char *dir = tu_temp_dir();
    const char *names[] = {"e.f32", "e.fvecs", "e.npy"};
    for (int i = 0; i < 3; i++) {
        char *path = tu_path(dir, names[i]);
        cr_assert_eq(tu_write_file(path, "", 0), 0);
        expect_map_fails(path, 4, VDB_EFORMAT, names[i]);
        free(path);
    }
    tu_remove_dir(dir);
}

Test(map, missing_path_is_eio)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "missing.npy");
    expect_map_fails(path, 0, VDB_EIO, "missing file");
    cr_expect_not_null(strstr(vdb_last_error(), path), "message '%s' does not name the path", vdb_last_error());
    free(path);
    tu_remove_dir(dir);
}

Test(map, directory_is_eio)
{
    char *dir = tu_temp_dir();
    expect_map_fails(dir, 4, VDB_EIO, "a directory");
    tu_remove_dir(dir);
}

Test(map, refuses_null_arguments_and_bad_config)
{
    fixture f = make_file("v.npy", tu_write_npy);
    vdb_config cfg = config_with_dim(0);
    vdb_index *index = SENTINEL;
    cr_expect_eq(vdb_map_vectors(NULL, f.path, &cfg), VDB_EINVAL);
    cr_expect_eq(vdb_map_vectors(&index, NULL, &cfg), VDB_EINVAL);
    cr_expect_eq(vdb_map_vectors(&index, f.path, NULL), VDB_EINVAL);
    cfg.m = 1;
    cr_expect_eq(vdb_map_vectors(&index, f.path, &cfg), VDB_EINVAL);
    cfg = config_with_dim(0);
    cfg.version = 7;
    cr_expect_eq(vdb_map_vectors(&index, f.path, &cfg), VDB_EINVAL);
    cfg = config_with_dim(65537);
    cr_expect_eq(vdb_map_vectors(&index, f.path, &cfg), VDB_EINVAL);
    cr_expect_eq(index, SENTINEL);
    drop(&f);
}

Test(build, range_past_end_is_erange)
{
    fixture f = make_file("v.npy", tu_write_npy);
    vdb_index *index = NULL;
    cr_assert_eq(map(&index, f.path, 0), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_build(index, 0, ROWS + 1), VDB_ERANGE);
    cr_expect_eq(vdb_build(index, ROWS, 1), VDB_ERANGE);
    cr_expect_eq(vdb_build(index, ROWS + 5, 0), VDB_ERANGE);
    cr_expect_eq(vdb_build(index, 1, UINT64_MAX), VDB_ERANGE, "first + count overflows");
    cr_expect_eq(vdb_build(index, UINT64_MAX, 2), VDB_ERANGE);
    cr_expect_eq(vdb_count(index), 0u);
    cr_expect_eq(vdb_build(index, ROWS, 0), VDB_OK, "an empty range at the end is fine");
    vdb_close(index);
    drop(&f);
}

Test(build, same_row_twice_is_eexist_and_adds_nothing)
{
    fixture f = make_file("v.npy", tu_write_npy);
    vdb_index *index = NULL;
    cr_assert_eq(map(&index, f.path, 0), VDB_OK);
    cr_assert_eq(vdb_build(index, 0, 100), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_build(index, 50, 100), VDB_EEXIST);
    cr_expect_eq(vdb_build(index, 99, 1), VDB_EEXIST);
    cr_expect_eq(vdb_count(index), 100u);
    cr_expect_eq(vdb_build(index, 100, 50), VDB_OK, "rows 100..149 were not taken by the refused build: %s",
                 vdb_last_error());
    cr_expect_eq(vdb_count(index), 150u);
    expect_rows_findable(index, f.rows, 0, 150);
    vdb_close(index);
    drop(&f);
}

Test(build, nan_row_is_einval_and_adds_nothing)
{
    fixture f = make_file("v.f32", tu_write_raw);
    f.rows[150 * DIM + 4] = NAN;
    f.rows[300 * DIM + 0] = INFINITY;
    cr_assert_eq(tu_write_raw(f.path, f.rows, ROWS, DIM), 0);
    vdb_index *index = NULL;
    cr_assert_eq(map(&index, f.path, DIM), VDB_OK);
    cr_expect_eq(vdb_build(index, 100, 100), VDB_EINVAL, "NaN in row 150");
    cr_expect_eq(vdb_build(index, 300, 1), VDB_EINVAL, "Inf in row 300");
    cr_expect_eq(vdb_count(index), 0u);
    cr_expect_eq(vdb_build(index, 0, 150), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), 150u);
    vdb_close(index);
    drop(&f);
}

Test(build, fvecs_row_with_other_dimension_is_eformat)
{
    fixture f = make_file("v.fvecs", tu_write_fvecs);
    size_t length;
    unsigned char *bytes = tu_read_file(f.path, &length);
    cr_assert_not_null(bytes);
    tu_put_le32(bytes + (size_t)10 * (DIM + 1) * 4, DIM - 1); /* row 10 claims 11 floats */
    cr_assert_eq(tu_write_file(f.path, bytes, length), 0);
    free(bytes);
    vdb_index *index = NULL;
    cr_assert_eq(map(&index, f.path, 0), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_build(index, 0, 20), VDB_EFORMAT);
    cr_expect_eq(vdb_count(index), 0u);
    cr_expect_eq(vdb_build(index, 0, 10), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_build(index, 11, 10), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), 20u);
    vdb_close(index);
    drop(&f);
}

Test(build, refuses_created_index_with_einval)
{
    vdb_config cfg = config_with_dim(DIM);
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_expect_eq(vdb_build(index, 0, 0), VDB_EINVAL);
    cr_expect_eq(vdb_build(index, 0, 1), VDB_EINVAL);
    cr_expect_eq(vdb_build(NULL, 0, 1), VDB_EINVAL);
    vdb_close(index);
}

Test(build, two_calls_out_of_order_link_every_row)
{
    fixture f = make_file("v.npy", tu_write_npy);
    vdb_index *index = NULL;
    cr_assert_eq(map(&index, f.path, 0), VDB_OK);
    cr_assert_eq(vdb_build(index, 250, ROWS - 250), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), (uint64_t)(ROWS - 250));
    cr_assert_eq(vdb_build(index, 0, 250), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), (uint64_t)ROWS);
    expect_rows_findable(index, f.rows, 0, ROWS);
    vdb_close(index);
    drop(&f);
}

Test(build, partial_build_searches_only_built_rows)
{
    fixture f = make_file("v.npy", tu_write_npy);
    vdb_index *index = NULL;
    cr_assert_eq(map(&index, f.path, 0), VDB_OK);
    cr_assert_eq(vdb_build(index, 100, 50), VDB_OK, "%s", vdb_last_error());
    uint64_t ids[60];
    uint32_t found = 0;
    cr_assert_eq(vdb_search(index, f.rows, 60, 200, ids, NULL, &found), VDB_OK);
    cr_expect_eq(found, 50u);
    for (uint32_t i = 0; i < found; i++)
        cr_expect(ids[i] >= 100 && ids[i] < 150, "id %llu was never built", (unsigned long long)ids[i]);
    vdb_close(index);
    drop(&f);
}

Test(build, refuses_opened_index_with_readonly)
{
    fixture f = make_file("v.npy", tu_write_npy);
    char *saved = tu_path(f.dir, "i.vdb");
    vdb_index *index = NULL;
    cr_assert_eq(map(&index, f.path, 0), VDB_OK);
    cr_assert_eq(vdb_build(index, 0, 100), VDB_OK);
    cr_assert_eq(vdb_save(index, saved), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    cr_assert_eq(vdb_open(&index, saved, VDB_OPEN_DEFAULT), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_build(index, 100, 10), VDB_EREADONLY);
    cr_expect_eq(vdb_count(index), 100u);
    vdb_close(index);
    free(saved);
    drop(&f);
}

Test(map, file_with_more_than_2_pow_32_minus_2_rows_is_erange)
{
    /* A sparse raw file of 2^32 - 1 one-float rows: 16 GiB on paper, nothing on disk. */
    char *dir = tu_temp_dir(), *path = tu_path(dir, "huge.f32");
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(ftruncate(fileno(f), (off_t)4 * UINT32_MAX), 0, "cannot make a sparse 16 GiB file");
    fclose(f);
    expect_map_fails(path, 1, VDB_ERANGE, "2^32 - 1 rows");
    free(path);
    tu_remove_dir(dir);
}

Test(map, rows_reports_the_files_rows_before_and_after_a_partial_build)
{
    fixture f = make_file("v.f32", tu_write_raw);
    vdb_index *index = NULL;
    cr_assert_eq(map(&index, f.path, DIM), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_rows(index), (uint64_t)ROWS);
    cr_expect_eq(vdb_count(index), 0u);
    cr_assert_eq(vdb_build(index, 0, ROWS / 2), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_rows(index), (uint64_t)ROWS);
    cr_expect_eq(vdb_count(index), (uint64_t)(ROWS / 2));
    vdb_close(index);

    vdb_config cfg = config_with_dim(DIM);
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_add(index, f.rows, 10, NULL), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_rows(index), 10u, "an index that owns its vectors has as many rows as nodes");
    vdb_close(index);
    cr_expect_eq(vdb_rows(NULL), 0u);
    drop(&f);
}
