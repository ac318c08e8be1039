/* Preparing a query for int8 code rows (codes/coded_query.h). */
#include "codes/coded_query.h"

void vdb_coded_query_prepare(vdb_coded_query *out, const vdb_code_store *codes, int32_t metric, const float *query,
                             float *weights)
{
    const float *offset = codes->quantizer, *step = offset + codes->dim;
    float base = 0.0f, norm2 = 0.0f;
    for (uint32_t d = 0; d < codes->dim; d++) {
        weights[d] = query[d] * step[d];
        base += query[d] * offset[d];
        norm2 += query[d] * query[d];
    }
    *out = (vdb_coded_query){.codes = codes, .weights = weights, .base = base, .norm2 = norm2, .metric = metric};
}
