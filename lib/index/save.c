/*
 * Saving: the live nodes, in the order that keeps neighbours in space near
 * in the file, with the links around deleted nodes repaired first. The
 * index itself is only read, so searches go on meanwhile.
 */
#include "index/index.h"

#include "file/format.h"
#include "graph/repair.h"
#include "util/error.h"

int vdb_index_save(const vdb_index *index, const char *path, const vdb_save_hooks *hooks)
{
    const vdb_hnsw *graph = &index->graph;
    vdb_hnsw_repaired repaired = {.links0 = graph->links0,
                                  .upper_links = graph->upper_links,
                                  .entry = graph->entry,
                                  .max_level = graph->max_level};
    if (graph->dead_count > 0 && vdb_hnsw_repair(graph, index->config.threads, &repaired) != VDB_OK)
        return vdb_fail(VDB_ENOMEM, "out of memory repairing the links around deleted vectors to save '%s'", path);

    vdb_save_order order;
    vdb_save_order_make(graph, &order);
    int code = VDB_OK;
    if (graph->dead_count > 0 && !order.order) {
        code = vdb_fail(VDB_ENOMEM, "out of memory ordering the vectors to save '%s'", path);
    } else {
        vdb_file_contents contents = {.graph = graph,
                                      .links0 = repaired.links0,
                                      .links0_stride = graph->dead_count > 0 ? graph->m0 + 1 : graph->links0_stride,
                                      .upper_links = repaired.upper_links,
                                      .ids = index->ids.of_node,
                                      .order = &order,
                                      .count = vdb_hnsw_live(graph),
                                      .entry = repaired.entry,
                                      .max_level = repaired.max_level,
                                      .metric = index->config.metric,
                                      .ef_construction = index->config.ef_construction,
                                      .ef_search = index->config.ef_search,
                                      .seed = index->config.seed,
                                      .codes = &index->codes,
                                      .rerank = index->config.rerank,
                                      .hooks = hooks};
        code = vdb_format_save(&contents, path);
    }
    vdb_save_order_free(&order);
    if (graph->dead_count > 0)
        vdb_hnsw_repaired_free(&repaired);
    return code;
}
