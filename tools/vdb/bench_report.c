/*
 * Printing a bench_report. The JSON is written by hand (the tool has no
 * dependencies); strings are escaped and non-finite numbers become null so
 * that any JSON parser accepts the output.
 */
#include "bench_report.h"

#include "cli_args.h"
#include "vdb.h"

#include <math.h>
#include <stdio.h>

static void json_string(const char *s)
{
    if (!s) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void json_number(double v)
{
    if (isfinite(v))
        printf("%.6g", v);
    else
        fputs("null", stdout);
}

void bench_print_json(const bench_report *r)
{
    printf("{\"tool\": \"vdb bench\", \"library_version\": ");
    json_string(vdb_version_string());
    printf(", \"source\": ");
    json_string(r->source);
    printf(", \"mode\": \"%s\", \"%s\": ", r->built ? "build" : "open", r->built ? "build_seconds" : "open_seconds");
    json_number(r->load_seconds);
    if (!r->built)
        printf(", \"disk\": %s, \"cache_mb\": %llu", r->disk ? "true" : "false", (unsigned long long)r->cache_mb);
    if (r->built) {
        printf(", \"build_rows_per_second\": ");
        json_number(r->load_seconds > 0 ? (double)r->count / r->load_seconds : NAN);
    }
    printf(", \"ground_truth\": ");
    json_string(r->truth_path);
    printf(", \"first\": %llu, \"count\": %llu, \"dim\": %u, \"metric\": \"%s\"", (unsigned long long)r->first,
           (unsigned long long)r->count, r->dim, cli_metric_name(r->metric));
    printf(", \"m\": %u, \"ef_construction\": %u, \"ef_search\": %u, \"threads\": %u", r->m, r->ef_construction,
           r->ef_search, r->threads);
    printf(", \"codes\": \"%s\", \"code_bytes\": %u, \"codes_trained\": %s, \"rerank\": %u", cli_codes_name(r->codes),
           r->code_bytes, r->coded ? "true" : "false", r->rerank);
    printf(", \"k\": %u, \"nq\": %llu, \"queries\": ", r->k, (unsigned long long)r->nq);
    json_string(r->query_source ? r->query_source : "random");
    if (r->query_source)
        printf(", \"query_first\": %llu", (unsigned long long)r->query_first);
    else
        printf(", \"query_seed\": %llu", (unsigned long long)r->query_seed);
    printf(", \"exact_seconds\": ");
    json_number(r->truth_path ? r->exact_seconds : NAN);
    printf(", \"results\": [");
    for (size_t i = 0; i < r->nrows; i++) {
        const bench_row *row = &r->rows[i];
        printf("%s{\"ef\": %u, \"recall\": ", i ? ", " : "", row->ef);
        json_number(row->recall);
        printf(", \"qps_single\": ");
        json_number(row->qps_single);
        printf(", \"qps_batch\": ");
        json_number(row->qps_batch);
        printf(", \"p50_ms\": ");
        json_number(row->p50_ms);
        printf(", \"p99_ms\": ");
        json_number(row->p99_ms);
        printf(", \"batch_mismatches\": %llu}", (unsigned long long)row->mismatched);
    }
    printf("], \"peak_rss_bytes\": %llu}\n", (unsigned long long)r->peak_rss);
}

void bench_print_table(const bench_report *r)
{
    printf("index:   %llu x %u, %s, m %u, ef_construction %u, ef_search %u (rows %llu..%llu)\n",
           (unsigned long long)r->count, r->dim, cli_metric_name(r->metric), r->m, r->ef_construction, r->ef_search,
           (unsigned long long)r->first, (unsigned long long)(r->first + r->count - 1));
    if (r->codes == VDB_CODES_PQ)
        printf("codes:   pq, %u bytes a vector, %s, rerank %u%s\n", r->code_bytes, r->coded ? "trained" : "not trained",
               r->rerank, r->rerank ? "" : " (all ef candidates)");
    else if (r->codes != VDB_CODES_NONE)
        printf("codes:   %s, %s, rerank %u%s\n", cli_codes_name(r->codes), r->coded ? "trained" : "not trained",
               r->rerank, r->rerank ? "" : " (all ef candidates)");
    if (r->built)
        printf("build:   %.2f s (%.0f rows/s) on %u threads, from %s\n", r->load_seconds,
               r->load_seconds > 0 ? (double)r->count / r->load_seconds : 0.0, r->threads, r->source);
    else if (r->disk)
        printf("open:    %.3f ms, %s, disk-resident, cache %llu MiB\n", r->load_seconds * 1e3, r->source,
               (unsigned long long)r->cache_mb);
    else
        printf("open:    %.3f ms, %s\n", r->load_seconds * 1e3, r->source);
    if (r->query_source)
        printf("queries: %llu from %s (rows %llu..%llu), k %u\n", (unsigned long long)r->nq, r->query_source,
               (unsigned long long)r->query_first, (unsigned long long)(r->query_first + r->nq - 1), r->k);
    else
        printf("queries: %llu random uniform [0,1) (seed %llu), k %u\n", (unsigned long long)r->nq,
               (unsigned long long)r->query_seed, r->k);
    if (r->truth_path)
        printf("truth:   exact brute force over the same rows of %s, %.2f s\n", r->truth_path, r->exact_seconds);
    else
        printf("truth:   none (give --vectors FILE to measure recall)\n");

    char recall_head[32], batch_head[32];
    snprintf(recall_head, sizeof recall_head, "recall@%u", r->k);
    snprintf(batch_head, sizeof batch_head, "QPS %u thr", r->threads);
    printf("\n%8s  %10s  %12s  %12s  %9s  %9s\n", "ef", recall_head, "QPS 1 thr", batch_head, "p50 ms", "p99 ms");
    int mismatches = 0;
    for (size_t i = 0; i < r->nrows; i++) {
        const bench_row *row = &r->rows[i];
        char recall[32];
        if (isfinite(row->recall))
            snprintf(recall, sizeof recall, "%.4f", row->recall);
        else
            snprintf(recall, sizeof recall, "-");
        printf("%8u  %10s  %12.0f  %12.0f  %9.3f  %9.3f%s\n", row->ef, recall, row->qps_single, row->qps_batch,
               row->p50_ms, row->p99_ms, row->mismatched ? "  *" : "");
        mismatches |= row->mismatched != 0;
    }
    if (mismatches)
        printf("* batch search gave other ids than single searches for some queries\n");
    printf("\npeak RSS: %.1f MiB\n", (double)r->peak_rss / (1024.0 * 1024.0));
}
