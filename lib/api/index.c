/*
 * Making, checking and closing indexes, and what they report about
 * themselves; opening is api/open.c's, saving and committing
 * api/durable.c's. Arguments are checked here; the work is the index layer's.
 */
#include "api/checks.h"
#include "file/format.h"
#include "index/config.h"
#include "util/error.h"

#include <stdlib.h>
#include <sys/mman.h>

int vdb_create(vdb_index **out, const vdb_config *cfg)
{
    if (!out)
        return vdb_fail(VDB_EINVAL, "out is NULL");
    vdb_config config;
    int code = vdb_config_read(cfg, &config, 1);
    if (code != VDB_OK)
        return code;
    vdb_index *index = vdb_index_new(&config, VDB_INDEX_OWNED);
    if (!index)
        return vdb_fail(VDB_ENOMEM, "out of memory creating an index");
    vdb_store_init_owned(&index->store, config.dim);
    if (vdb_hnsw_init(&index->graph, &index->store, config.metric, config.m, config.ef_construction, config.seed) !=
        VDB_OK) {
        vdb_index_free(index);
        return vdb_fail(VDB_ENOMEM, "out of memory creating an index");
    }
    vdb_index_use_codes(index);
    *out = index;
    return VDB_OK;
}

int vdb_map_vectors(vdb_index **out, const char *vectors_path, const vdb_config *cfg)
{
    if (!out || !vectors_path)
        return vdb_fail(VDB_EINVAL, "%s is NULL", out ? "vectors_path" : "out");
    vdb_config config;
    int code = vdb_config_read(cfg, &config, 0);
    if (code != VDB_OK)
        return code;
    vdb_index *index = vdb_index_new(&config, VDB_INDEX_OVER_FILE);
    if (!index)
        return vdb_fail(VDB_ENOMEM, "out of memory creating an index");
    if ((code = vdb_mapping_open(&index->file, vectors_path, "vector file")) != VDB_OK ||
        (code = vdb_vector_view_parse(&index->view, &index->file, vectors_path, config.dim)) != VDB_OK) {
        vdb_index_free(index);
        return code;
    }
    const vdb_vector_view *view = &index->view;
    if (view->count > VDB_MAX_NODES) {
        code = vdb_fail(VDB_ERANGE, "vector file '%s' has %llu rows, more than an index holds", vectors_path,
                        (unsigned long long)view->count);
        vdb_index_free(index);
        return code;
    }
    index->config.dim = view->dim;
    if ((code = vdb_config_check_code_bytes(&index->config)) != VDB_OK) {
        vdb_index_free(index);
        return code;
    }
    vdb_store_init_owned(&index->store, view->dim); /* no rows until vdb_build links some */
    if (vdb_ids_init_rows(&index->ids, view->count) != VDB_OK ||
        vdb_hnsw_init(&index->graph, &index->store, config.metric, config.m, config.ef_construction, config.seed) !=
            VDB_OK) {
        vdb_index_free(index);
        return vdb_fail(VDB_ENOMEM, "out of memory mapping '%s'", vectors_path);
    }
    vdb_index_use_codes(index);
    vdb_mapping_advise(&index->file, 0, index->file.length, MADV_RANDOM);
    *out = index;
    return VDB_OK;
}

int vdb_verify(const char *path)
{
    if (!path)
        return vdb_fail(VDB_EINVAL, "path is NULL");
    return vdb_format_verify(path);
}

void vdb_close(vdb_index *index) { vdb_index_free(index); }

uint64_t vdb_count(const vdb_index *index) { return index ? vdb_hnsw_live(&index->graph) : 0; }

uint64_t vdb_rows(const vdb_index *index)
{
    if (!index)
        return 0;
    return index->kind == VDB_INDEX_OVER_FILE ? index->view.count : vdb_hnsw_live(&index->graph);
}

uint64_t vdb_deleted(const vdb_index *index) { return index ? index->graph.dead_count : 0; }

uint32_t vdb_dim(const vdb_index *index) { return index ? index->config.dim : 0; }

int32_t vdb_metric(const vdb_index *index) { return index ? index->config.metric : -1; }

uint64_t vdb_coded(const vdb_index *index) { return index ? vdb_codes_count(&index->codes) : 0; }
