/*
 * Below the API: how a build by partitions plans its split and splits the
 * rows (lib/partitioned/partition.h, lib/partitioned/partitioned_build.h).
 */
#include "partitioned/partitioned_build.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <stdlib.h>
#include <string.h>

enum { N = 20000, D = 32, M = 12, THREADS = 2 };

Test(partition, plan_splits_only_what_does_not_fit)
{
    vdb_partition_plan plan;
    cr_assert_eq(vdb_partitioned_build_plan(&plan, N, D, M, THREADS, 0, 64u << 20), VDB_OK);
    cr_expect_eq(plan.partitions, 0, "64 MiB holds 20,000 rows of 32 floats: no split");
    cr_assert_eq(vdb_partitioned_build_plan(&plan, N, D, M, THREADS, 0, 4u << 20), VDB_OK, "%s", vdb_last_error());
    cr_expect_geq(plan.partitions, 2);
    cr_expect_eq(plan.extras, N, "each row goes to its two nearest partitions");
    cr_expect_geq((uint64_t)plan.partitions * plan.capacity, (uint64_t)N + plan.extras);
    /* each partition's rows (a copy) and graph fit in what the whole graph leaves */
    cr_expect_lt((uint64_t)plan.capacity * D * sizeof(float), 4u << 20);
    cr_expect_eq(vdb_partitioned_build_plan(&plan, N, D, M, THREADS, 0, 1u << 20), VDB_EINVAL);
    cr_expect(strstr(vdb_last_error(), "give at least") != NULL, "%s", vdb_last_error());
    cr_expect_eq(plan.partitions, 0);
}

Test(partition, every_row_has_a_home_and_another_partition_within_capacity)
{
    float *data = tu_clustered(N, D, 50, 0.3, 9);
    vdb_build_rows rows = {data, D, N, D};
    vdb_partition_plan plan;
    /* 4.5 MiB: a dozen partitions */
    cr_assert_eq(vdb_partitioned_build_plan(&plan, N, D, M, THREADS, 0, 9u << 19), VDB_OK, "%s", vdb_last_error());
    vdb_partitions one, two;
    cr_assert_eq(vdb_partitions_make(&one, &rows, &plan, 42, 1), VDB_OK);
    cr_assert_eq(vdb_partitions_make(&two, &rows, &plan, 42, THREADS), VDB_OK);
    cr_expect_arr_eq(one.home, two.home, sizeof(uint16_t) * N, "the split depends on the threads");
    cr_expect_arr_eq(one.extra, two.extra, sizeof(uint16_t) * N, "the split depends on the threads");
    uint32_t sizes[VDB_MAX_PARTITIONS] = {0}, extras = 0;
    for (uint32_t i = 0; i < N; i++) {
        cr_assert_lt(one.home[i], one.count);
        sizes[one.home[i]]++;
        if (one.extra[i] != VDB_NO_PARTITION) {
            cr_assert_lt(one.extra[i], one.count);
            cr_assert_neq(one.extra[i], one.home[i]);
            sizes[one.extra[i]]++;
            extras++;
        }
    }
    /* 50 tight clusters in a dozen partitions fill some of them with their homes, which then take no extras */
    cr_expect_geq(extras, N / 2, "only %u of %u rows in two partitions", extras, N);
    for (uint32_t p = 0; p < one.count; p++) {
        cr_expect_eq(sizes[p], one.sizes[p]);
        cr_expect_leq(sizes[p], plan.capacity);
        uint32_t *members = malloc(sizeof *members * sizes[p]);
        vdb_partition_members(&one, p, members);
        for (uint32_t i = 0; i < sizes[p]; i++) {
            cr_assert(one.home[members[i]] == p || one.extra[members[i]] == p);
            cr_assert(i == 0 || members[i] > members[i - 1], "members in file order");
        }
        free(members);
    }
    vdb_partitions_destroy(&one);
    vdb_partitions_destroy(&two);
    free(data);
}
