/*
 * A query made ready to be measured against code rows. With x the vector a
 * row stands for, every metric's distance follows from dot(q, x), |q|^2 and
 * the row's stored |x|^2, and dot(q, x) is one kernel call over the row's
 * bytes:
 *  - int8, x = offset + step * c:  dot = dot(q, offset) + sum_d (q_d step_d) c_d,
 *    the weights q * step made once per query;
 *  - PQ, x = the centroids the bytes name:  dot = sum_i table[i][c_i], the
 *    table of q's dot products with every centroid made once per query.
 */
#ifndef VDB_CODED_QUERY_H
#define VDB_CODED_QUERY_H

#include "codes/codes.h"
#include "kernels/distance.h"
#include "vdb.h"

typedef struct vdb_coded_query {
    const vdb_code_store *codes;
    const float *weights; /* int8: query[d] * step[d]; PQ: the table, 256 floats a code byte */
    float base;           /* the part of every dot product that does not depend on the row */
    float norm2;          /* |query|^2 */
    int32_t metric;
} vdb_coded_query;

/* Fill *out for query; `weights` (vdb_codes_query_floats of them) is its storage and must outlive it. */
void vdb_coded_query_prepare(vdb_coded_query *out, const vdb_code_store *codes, int32_t metric, const float *query,
                             float *weights);

/* The metric's distance from dot(query, x) and |x|^2. */
static inline float vdb_coded_distance(const vdb_coded_query *query, float dot, float norm2)
{
    switch (query->metric) {
    case VDB_METRIC_L2: {
        float distance = query->norm2 + norm2 - 2.0f * dot;
        return distance > 0.0f ? distance : 0.0f; /* rounding may take it just below */
    }
    case VDB_METRIC_IP: return 1.0f - dot;
    default: return vdb_cosine_from_parts(dot, query->norm2, norm2);
    }
}

static inline float vdb_coded_query_distance(const vdb_coded_query *query, uint32_t node)
{
    const vdb_code_store *codes = query->codes;
    const uint8_t *row = vdb_codes_row(codes, node);
    float dot = query->base + (codes->kind == VDB_CODES_INT8 ? codes->dot(query->weights, row, codes->dim)
                                                             : codes->pq_sum(query->weights, row, codes->bytes));
    return vdb_coded_distance(query, dot, vdb_codes_norm2(codes, row));
}

/* out[i] = distance to nodes[i]; int8 rows four at a time. */
static inline void vdb_coded_query_distances(const vdb_coded_query *query, const uint32_t *nodes, uint32_t count,
                                             float *out)
{
    const vdb_code_store *codes = query->codes;
    uint32_t i = 0;
    if (codes->kind == VDB_CODES_INT8)
        for (; i + 4 <= count; i += 4) {
            const uint8_t *rows[4] = {vdb_codes_row(codes, nodes[i]), vdb_codes_row(codes, nodes[i + 1]),
                                      vdb_codes_row(codes, nodes[i + 2]), vdb_codes_row(codes, nodes[i + 3])};
            float dots[4];
            codes->dot4(query->weights, rows, codes->dim, dots);
            for (int r = 0; r < 4; r++)
                out[i + r] = vdb_coded_distance(query, query->base + dots[r], vdb_codes_norm2(codes, rows[r]));
        }
    for (; i < count; i++)
        out[i] = vdb_coded_query_distance(query, nodes[i]);
}

#endif
