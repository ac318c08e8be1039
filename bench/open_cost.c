/*
 * Shows that vdb_open is O(1): the time it takes and the anonymous (heap)
 * memory it adds do not grow with the index file. File-backed pages of the
 * mapping are not counted as anonymous: they belong to the page cache.
 *
 *   open_cost make PATH COUNT DIM   write a random index (m 16, ef_construction 32)
 *   open_cost PATH...               open each index 20 times; print median open time,
 *                                   anonymous RSS added, and the first search's time
 */
#define _GNU_SOURCE
#include <vdb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

enum { OPENS = 20 };

static double seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* Anonymous kB of this process, from /proc/self/smaps_rollup. */
static long anonymous_kb(void)
{
    FILE *file = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    long kb = -1;
    while (file && fgets(line, sizeof line, file))
        if (sscanf(line, "Anonymous: %ld kB", &kb) == 1)
            break;
    if (file)
        fclose(file);
    return kb;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int make_index(const char *path, uint64_t count, uint32_t dim)
{
    float *vectors = malloc(sizeof(float) * dim * count);
    if (!vectors)
        return 1;
    uint64_t state = 12345;
    for (uint64_t i = 0; i < count * dim; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        vectors[i] = (float)(state >> 40) / (float)(1 << 24);
    }
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = dim;
    cfg.ef_construction = 32;
    vdb_index *index;
    int code = vdb_create(&index, &cfg);
    if (code == VDB_OK)
        code = vdb_add(index, vectors, count, NULL);
    if (code == VDB_OK)
        code = vdb_save(index, path);
    if (code != VDB_OK)
        fprintf(stderr, "open_cost: %s\n", vdb_last_error());
    vdb_close(index);
    free(vectors);
    return code != VDB_OK;
}

static int measure(const char *path)
{
    double times[OPENS];
    long added_kb = 0;
    vdb_index *index = NULL;
    for (int i = 0; i < OPENS; i++) {
        long before = anonymous_kb();
        double start = seconds();
        int code = vdb_open(&index, path, VDB_OPEN_DEFAULT);
        times[i] = seconds() - start;
        if (code != VDB_OK) {
            fprintf(stderr, "open_cost: %s\n", vdb_last_error());
            return 1;
        }
        added_kb = anonymous_kb() - before;
        if (i + 1 < OPENS)
            vdb_close(index);
    }
    qsort(times, OPENS, sizeof *times, compare_doubles);

    float *query = calloc(vdb_dim(index), sizeof *query);
    uint64_t ids[10];
    double start = seconds();
    int code = vdb_search(index, query, 10, 0, ids, NULL, NULL);
    double first_search = seconds() - start;
    long after_search_kb = anonymous_kb();
    struct stat info;
    stat(path, &info);
    printf("%-40s %9.1f MB %10llu vectors  open median %7.1f us  anonymous RSS +%ld kB  "
           "first search %.2f ms (anonymous %ld kB)\n",
           path, (double)info.st_size / 1e6, (unsigned long long)vdb_count(index), times[OPENS / 2] * 1e6, added_kb,
           first_search * 1e3, after_search_kb);
    free(query);
    vdb_close(index);
    return code != VDB_OK;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "make") == 0)
        return make_index(argv[2], strtoull(argv[3], NULL, 10), (uint32_t)strtoul(argv[4], NULL, 10));
    if (argc < 2) {
        fprintf(stderr, "usage: open_cost make PATH COUNT DIM | open_cost PATH...\n");
        return 2;
    }
    int failed = 0;
    for (int i = 1; i < argc; i++)
        failed |= measure(argv[i]);
    return failed;
}
