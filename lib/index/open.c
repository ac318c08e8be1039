/*
 * Opening a saved index. Read-only, everything is used in place from the
 * mapping and nothing grows with the file. Writable, the vectors stay
 * mapped while the links and ids, which changes rewrite, are copied to the
 * heap in one sequential pass.
 */
#include "index/index.h"

#include "file/format.h"
#include "index/config.h"
#include "util/error.h"

#include <stdlib.h>
#include <sys/mman.h>

/* The settings a file records, on top of the defaults for the rest. */
static vdb_config config_of(const vdb_header *header)
{
    vdb_config config = vdb_config_defaults();
    config.dim = header->dim;
    config.metric = header->metric;
    config.m = header->m;
    config.ef_construction = header->ef_construction;
    config.ef_search = header->ef_search;
    config.seed = header->seed;
    config.codes = header->codes;
    config.rerank = header->rerank;
    config.code_bytes = header->code_bytes;
    return config;
}

/* Searches read the node blocks from the disk; the codes and upper levels, which each search reads, come in now. */
static int open_disk(vdb_index *index, const vdb_index_file *file, const char *path)
{
    const vdb_header *h = &file->header;
    if (!vdb_header_node_blocks(h))
        return vdb_fail(VDB_EINVAL,
                        "index '%s' has no codes, which a disk-resident search (VDB_OPEN_DISK) walks by: "
                        "build it with vdb_config.codes",
                        path);
    index->disk = malloc(sizeof *index->disk);
    if (!index->disk)
        return vdb_fail(VDB_ENOMEM, "out of memory opening '%s'", path);
    int code = vdb_disk_open(index->disk, path, h->sections[VDB_SECTION_VECTORS].offset, h->node_block);
    if (code != VDB_OK) {
        free(index->disk);
        index->disk = NULL;
        return code;
    }
    for (int section = VDB_SECTION_UPPER; section < VDB_SECTION_COUNT; section++)
        if (section != VDB_SECTION_IDS)
            vdb_mapping_advise(&index->file, h->sections[section].offset, h->sections[section].length, MADV_WILLNEED);
    return VDB_OK;
}

static int set_up(vdb_index *index, const vdb_index_file *file, uint32_t flags, const char *path)
{
    const vdb_header *h = &file->header;
    vdb_store_init_mapped(&index->store, h->dim, file->vectors, file->vector_stride, (uint32_t)h->count);
    vdb_ids_init_section(&index->ids, file->ids, (uint32_t)h->count);
    int code;
    if (!(flags & VDB_OPEN_WRITABLE)) {
        atomic_store(&index->ids_ready, 0);
        code = vdb_hnsw_init_mapped(&index->graph, &index->store, h->metric, h->m, h->ef_construction, &file->links);
    } else {
        index->writable = 1;
        code = vdb_ids_own(&index->ids);
        if (code == VDB_OK)
            code = vdb_hnsw_init_copy(&index->graph, &index->store, h->metric, h->m, h->ef_construction, h->seed,
                                      &file->links);
    }
    uint32_t bytes = vdb_codes_bytes(h->codes, h->dim, h->code_bytes);
    if (h->codes_trained)
        vdb_codes_init_mapped(&index->codes, h->codes, h->dim, bytes, file->quantizer, file->codes, (uint32_t)h->count);
    else
        vdb_codes_init(&index->codes, h->codes, h->dim, bytes);
    index->graph.codes = &index->codes;
    if (code != VDB_OK)
        return vdb_fail(code, "out of memory opening '%s'", path);
    return flags & VDB_OPEN_DISK ? open_disk(index, file, path) : VDB_OK;
}

int vdb_index_open(vdb_index **out, const char *path, uint32_t flags)
{
    vdb_index_file file;
    int code = vdb_format_open(&file, path, flags);
    if (code != VDB_OK)
        return code;
    vdb_config config = config_of(&file.header);
    vdb_index *index = vdb_index_new(&config, VDB_INDEX_OPENED);
    if (!index) {
        vdb_mapping_close(&file.mapping);
        return vdb_fail(VDB_ENOMEM, "out of memory opening '%s'", path);
    }
    index->file = file.mapping;
    if ((code = set_up(index, &file, flags, path)) != VDB_OK) {
        vdb_index_free(index);
        return code;
    }
    *out = index;
    return VDB_OK;
}
