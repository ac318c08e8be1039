/* Preparing a query for code rows (codes/coded_query.h). */
#include "codes/coded_query.h"

#include "codes/int8_quantizer.h"
#include "codes/pq_quantizer.h"

void vdb_coded_query_prepare(vdb_coded_query *out, const vdb_code_store *codes, int32_t metric, const float *query,
                             float *weights)
{
    float norm2 = 0.0f, base = 0.0f;
    for (uint32_t d = 0; d < codes->dim; d++)
        norm2 += query[d] * query[d];
    if (codes->kind == VDB_CODES_INT8)
        base = vdb_int8_prepare(codes->quantizer, codes->dim, query, weights);
    else
        vdb_pq_prepare(codes->quantizer, codes->dim, codes->bytes, query, weights);
    *out = (vdb_coded_query){.codes = codes, .weights = weights, .base = base, .norm2 = norm2, .metric = metric};
}
