/*
 * Header test, C side: vdb.h is included first and alone, compiled as C11
 * with -pedantic -Werror -Wall -Wextra, and its declarations link.
 */
#include <vdb.h>
#include <vdb.h> /* the include guard works */

#include <stdio.h>
#include <string.h>

/* Every public function, taken by address: each is declared with the documented signature. */
static void (*const config_init)(vdb_config *, uint32_t) = vdb_config_init;
static int (*const create)(vdb_index **, const vdb_config *) = vdb_create;
static int (*const map_vectors)(vdb_index **, const char *, const vdb_config *) = vdb_map_vectors;
static int (*const build)(vdb_index *, uint64_t, uint64_t) = vdb_build;
static int (*const add)(vdb_index *, const float *, uint64_t, const uint64_t *) = vdb_add;
static int (*const search)(const vdb_index *, const float *, uint32_t, uint32_t, uint64_t *, float *,
                           uint32_t *) = vdb_search;
static int (*const search_batch)(const vdb_index *, const float *, uint64_t, uint32_t, uint32_t, uint64_t *, float *,
                                 uint32_t *) = vdb_search_batch;
static int (*const save)(const vdb_index *, const char *) = vdb_save;
static int (*const open_index)(vdb_index **, const char *, uint32_t) = vdb_open;
static int (*const verify)(const char *) = vdb_verify;
static int (*const set_threads)(vdb_index *, uint32_t) = vdb_set_threads;
static int (*const get_config)(const vdb_index *, vdb_config *) = vdb_get_config;
static void (*const close_index)(vdb_index *) = vdb_close;
static int (*const upsert)(vdb_index *, const float *, uint64_t, const uint64_t *) = vdb_upsert;
static int (*const delete_ids)(vdb_index *, const uint64_t *, uint64_t) = vdb_delete;
static int (*const get)(const vdb_index *, uint64_t, float *) = vdb_get;
static int (*const filter_create)(vdb_filter **, const uint64_t *, uint64_t) = vdb_filter_create;
static int (*const filter_from_fn)(vdb_filter **, int (*)(uint64_t, void *), void *) = vdb_filter_from_fn;
static void (*const filter_close)(vdb_filter *) = vdb_filter_close;
static int (*const search_filtered)(const vdb_index *, const float *, uint32_t, uint32_t, const vdb_filter *,
                                    uint64_t *, float *, uint32_t *) = vdb_search_filtered;
static int (*const search_batch_filtered)(const vdb_index *, const float *, uint64_t, uint32_t, uint32_t,
                                          const vdb_filter *, uint64_t *, float *,
                                          uint32_t *) = vdb_search_batch_filtered;
static uint64_t (*const count)(const vdb_index *) = vdb_count;
static uint64_t (*const rows)(const vdb_index *) = vdb_rows;
static uint64_t (*const deleted)(const vdb_index *) = vdb_deleted;
static uint32_t (*const dim)(const vdb_index *) = vdb_dim;
static int32_t (*const metric)(const vdb_index *) = vdb_metric;
static uint64_t (*const coded)(const vdb_index *) = vdb_coded;
static int (*const vectors_open)(vdb_vectors **, const char *, uint32_t) = vdb_vectors_open;
static uint64_t (*const vectors_count)(const vdb_vectors *) = vdb_vectors_count;
static uint32_t (*const vectors_dim)(const vdb_vectors *) = vdb_vectors_dim;
static const float *(*const vectors_row)(const vdb_vectors *, uint64_t) = vdb_vectors_row;
static void (*const vectors_close)(vdb_vectors *) = vdb_vectors_close;
static const char *(*const strerror_fn)(int) = vdb_strerror;
static const char *(*const last_error)(void) = vdb_last_error;
static uint32_t (*const version_number)(void) = vdb_version_number;
static const char *(*const version_string)(void) = vdb_version_string;

int main(void)
{
    const void *all[] = {(const void *)&config_init,
                         (const void *)&create,
                         (const void *)&map_vectors,
                         (const void *)&build,
                         (const void *)&add,
                         (const void *)&search,
                         (const void *)&search_batch,
                         (const void *)&save,
                         (const void *)&open_index,
                         (const void *)&verify,
                         (const void *)&set_threads,
                         (const void *)&get_config,
                         (const void *)&close_index,
                         (const void *)&count,
                         (const void *)&dim,
                         (const void *)&metric,
                         (const void *)&vectors_open,
                         (const void *)&vectors_count,
                         (const void *)&vectors_dim,
                         (const void *)&vectors_row,
                         (const void *)&vectors_close,
                         (const void *)&strerror_fn,
                         (const void *)&last_error,
                         (const void *)&version_number,
                         (const void *)&version_string,
                         (const void *)&upsert,
                         (const void *)&delete_ids,
                         (const void *)&get,
                         (const void *)&filter_create,
                         (const void *)&filter_from_fn,
                         (const void *)&filter_close,
                         (const void *)&search_filtered,
                         (const void *)&search_batch_filtered,
                         (const void *)&rows,
                         (const void *)&deleted,
                         (const void *)&coded};
    (void)all;
    vdb_config cfg;
    config_init(&cfg, VDB_CONFIG_VERSION);
    if (cfg.version != VDB_CONFIG_VERSION || version_number() != VDB_VERSION_NUMBER ||
        strcmp(version_string(), "0.2.0") != 0 || sizeof(vdb_config) != 56) {
        fprintf(stderr, "header_c: unexpected config version, library version or vdb_config size\n");
        return 1;
    }
    puts("vdb.h compiles as C11 -pedantic and links");
    return 0;
}
