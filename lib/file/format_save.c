/*
 * Saving an index. The file is written beside its target as a temporary
 * (file/save_temp.h), flushed to disk and renamed over the target, then the
 * folder is flushed too, so at every moment `path` holds either the old
 * index or the complete new one, whatever fails (a full disk, a crash, a
 * signal). A symbolic link at `path` is followed (file/save_target.h).
 */
#include "file/checksum.h"
#include "file/format.h"
#include "util/error.h"
#include "util/limits.h"
#include "file/format_header.h"
#include "file/save_order.h"
#include "file/save_target.h"
#include "file/save_temp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { WRITE_BUFFER = 1 << 20 };

typedef struct {
    FILE *file;
    uint64_t position;
    uint32_t crc;
    int failed; /* errno of the first failed write, 0 when all went well */
} writer;

static void write_bytes(writer *w, const void *bytes, size_t length)
{
    if (w->failed || length == 0)
        return;
    if (fwrite(bytes, 1, length, w->file) != length) {
        w->failed = errno ? errno : EIO;
        return;
    }
    w->crc = vdb_crc32c(w->crc, bytes, length);
    w->position += length;
}

static void pad_to(writer *w, uint64_t offset)
{
    static const unsigned char zeros[VDB_SECTION_ALIGN];
    while (!w->failed && w->position < offset) {
        uint64_t gap = offset - w->position;
        write_bytes(w, zeros, gap < sizeof zeros ? (size_t)gap : sizeof zeros);
    }
}

static void begin_section(writer *w, const vdb_section *section)
{
    pad_to(w, section->offset);
    w->crc = 0;
}

/* A link block [count, links...] of `width` words, its links renumbered to their places in the file. */
static void write_link_block(writer *w, const uint32_t *block, uint32_t width, const vdb_save_order *order)
{
    uint32_t renumbered[VDB_MAX_M0 + 1], count = block[0] < width - 1 ? block[0] : width - 1;
    renumbered[0] = count;
    for (uint32_t i = 0; i < count; i++)
        renumbered[1 + i] = vdb_save_order_rank(order, block[1 + i]);
    memset(renumbered + 1 + count, 0, sizeof(uint32_t) * (width - 1 - count)); /* unused slots are zeros */
    write_bytes(w, renumbered, sizeof(uint32_t) * width);
}

static const uint32_t *level0_block(const vdb_file_contents *contents, uint32_t node)
{
    return contents->links0 + (uint64_t)node * contents->links0_stride;
}

static const uint32_t *upper_block(const vdb_file_contents *contents, uint32_t node, uint32_t level)
{
    const vdb_hnsw *graph = contents->graph;
    return contents->upper_links + (graph->upper_start[node] + level - 1) * (uint64_t)(graph->m + 1);
}

/*
 * Rows are written in the file's order, which is not the order of the rows
 * they come from: read from a mapped vector file larger than memory, each
 * would wait for its own disk read. So the rows this far ahead are asked
 * for before they are needed, and the disk serves them together.
 */
enum { READ_AHEAD_ROWS = 256 };

static void request_ahead(const vdb_file_contents *contents, uint32_t i)
{
    if (i == 0)
        for (uint32_t j = 0; j < READ_AHEAD_ROWS && j < contents->count; j++)
            vdb_hnsw_request_row(contents->graph, vdb_save_order_node(contents->order, j));
    else if (i + READ_AHEAD_ROWS < contents->count)
        vdb_hnsw_request_row(contents->graph, vdb_save_order_node(contents->order, i + READ_AHEAD_ROWS));
}

/* Format 2: each node's vector, its level-0 links and zeros up to the node block's end. */
static void write_node_blocks(writer *w, const vdb_file_contents *contents, vdb_header *header)
{
    static const unsigned char zeros[VDB_SECTION_ALIGN];
    const vdb_hnsw *graph = contents->graph;
    uint32_t used = (graph->dim + graph->m0 + 1) * (uint32_t)sizeof(float);
    begin_section(w, &header->sections[VDB_SECTION_VECTORS]);
    for (uint32_t i = 0; i < contents->count; i++) {
        uint32_t node = vdb_save_order_node(contents->order, i);
        request_ahead(contents, i);
        write_bytes(w, vdb_hnsw_vector(graph, node), sizeof(float) * graph->dim);
        write_link_block(w, level0_block(contents, node), graph->m0 + 1, contents->order);
        for (uint32_t pad = used; pad < header->node_block; pad += sizeof zeros)
            write_bytes(w, zeros, header->node_block - pad < sizeof zeros ? header->node_block - pad : sizeof zeros);
    }
    header->sections[VDB_SECTION_VECTORS].crc = w->crc;
}

/* Format 1: the vectors, then the level-0 link blocks. */
static void write_vectors_and_links0(writer *w, const vdb_file_contents *contents, vdb_header *header)
{
    const vdb_hnsw *graph = contents->graph;
    begin_section(w, &header->sections[VDB_SECTION_VECTORS]);
    for (uint32_t i = 0; i < contents->count; i++) {
        request_ahead(contents, i);
        write_bytes(w, vdb_hnsw_vector(graph, vdb_save_order_node(contents->order, i)), sizeof(float) * header->dim);
    }
    header->sections[VDB_SECTION_VECTORS].crc = w->crc;

    begin_section(w, &header->sections[VDB_SECTION_LINKS0]);
    for (uint32_t i = 0; i < contents->count; i++)
        write_link_block(w, level0_block(contents, vdb_save_order_node(contents->order, i)), graph->m0 + 1,
                         contents->order);
    header->sections[VDB_SECTION_LINKS0].crc = w->crc;
}

/* Upper links, each node's blocks at its place in the file's order. */
static void write_upper_links(writer *w, const vdb_file_contents *contents, vdb_header *header)
{
    const vdb_hnsw *graph = contents->graph;
    const vdb_save_order *order = contents->order;
    begin_section(w, &header->sections[VDB_SECTION_UPPER]);
    if (!order->order) { /* node order: the table and blocks as they are in memory */
        write_bytes(w, graph->upper_start, sizeof(uint32_t) * (header->count + 1));
        write_bytes(w, contents->upper_links, sizeof(uint32_t) * header->upper_blocks * (header->m + 1));
        header->sections[VDB_SECTION_UPPER].crc = w->crc;
        return;
    }
    uint32_t start = 0;
    write_bytes(w, &start, sizeof start);
    for (uint32_t i = 0; i < contents->count; i++) {
        start += vdb_hnsw_level(graph, order->order[i]);
        write_bytes(w, &start, sizeof start);
    }
    for (uint32_t i = 0; i < contents->count; i++)
        for (uint32_t level = 1; level <= vdb_hnsw_level(graph, order->order[i]); level++)
            write_link_block(w, upper_block(contents, order->order[i], level), graph->m + 1, order);
    header->sections[VDB_SECTION_UPPER].crc = w->crc;
}

static void write_sections(writer *w, const vdb_file_contents *contents, vdb_header *header)
{
    const vdb_save_order *order = contents->order;
    uint32_t count = contents->count;

    if (vdb_header_node_blocks(header))
        write_node_blocks(w, contents, header);
    else
        write_vectors_and_links0(w, contents, header);
    write_upper_links(w, contents, header);

    begin_section(w, &header->sections[VDB_SECTION_IDS]);
    for (uint32_t i = 0; i < count; i++)
        write_bytes(w, &contents->ids[vdb_save_order_node(order, i)], sizeof(uint64_t));
    header->sections[VDB_SECTION_IDS].crc = w->crc;

    if (header->codes_trained) {
        const vdb_code_store *codes = contents->codes;
        begin_section(w, &header->sections[VDB_SECTION_QUANTIZER]);
        write_bytes(w, codes->quantizer, header->sections[VDB_SECTION_QUANTIZER].length);
        header->sections[VDB_SECTION_QUANTIZER].crc = w->crc;
        begin_section(w, &header->sections[VDB_SECTION_CODES]);
        for (uint32_t i = 0; i < count; i++)
            write_bytes(w, vdb_codes_row(codes, vdb_save_order_node(order, i)), codes->stride);
        header->sections[VDB_SECTION_CODES].crc = w->crc;
    }
}

/* Fill the header for contents and lay out its sections; returns the file's length. */
static uint64_t describe(const vdb_file_contents *contents, vdb_header *header)
{
    const vdb_hnsw *graph = contents->graph;
    uint32_t count = contents->count;
    const vdb_code_store *codes = contents->codes;
    memset(header, 0, sizeof *header);
    header->format_version = codes->kind != VDB_CODES_NONE ? VDB_FORMAT_VERSION : VDB_FORMAT_VERSION_PLAIN;
    header->codes = codes->kind;
    header->codes_trained = codes->trained ? 1 : 0;
    header->rerank = codes->kind != VDB_CODES_NONE ? contents->rerank : 0;
    header->code_bytes = codes->kind == VDB_CODES_PQ ? codes->bytes : 0;
    header->node_block = codes->kind != VDB_CODES_NONE ? vdb_node_block_bytes(graph->dim, graph->m0) : 0;
    header->dim = graph->dim;
    header->metric = contents->metric;
    header->m = graph->m;
    header->m0 = graph->m0;
    header->ef_construction = contents->ef_construction;
    header->ef_search = contents->ef_search;
    header->max_level = count ? contents->max_level : 0;
    header->count = count;
    header->entry = count ? vdb_save_order_rank(contents->order, contents->entry) : UINT64_MAX;
    header->seed = contents->seed;
    header->upper_blocks = 0;
    for (uint32_t i = 0; i < count; i++)
        header->upper_blocks += vdb_hnsw_level(graph, vdb_save_order_node(contents->order, i));
    return vdb_header_layout(header);
}

/*
 * Save to `target`, the file `path` names (itself, or where its link leads).
 * Failures name `path`, except a temporary that cannot be created: that names
 * `target`, whose folder is the one that refused.
 */
static int save_to(const vdb_file_contents *contents, const char *path, const char *target)
{
    vdb_header header;
    uint64_t file_length = describe(contents, &header);

    vdb_save_temp_clean(target);
    vdb_save_temp temp;
    int code = vdb_save_temp_create(&temp, target);
    if (code != VDB_OK)
        return code;
    /* The writer closes its own descriptor; the temporary's stays open, and locked, until the rename. */
    int writer_fd = dup(temp.fd);
    writer w = {.file = writer_fd >= 0 ? fdopen(writer_fd, "wb") : NULL};
    if (!w.file) {
        code = vdb_fail_errno("cannot save index '%s'", path);
        if (writer_fd >= 0)
            close(writer_fd);
        vdb_save_temp_close(&temp);
        return code;
    }
    setvbuf(w.file, NULL, _IOFBF, WRITE_BUFFER);

    unsigned char header_bytes[VDB_HEADER_SIZE] = {0};
    write_bytes(&w, header_bytes, sizeof header_bytes); /* the real header goes in last, checksums known */
    write_sections(&w, contents, &header);
    pad_to(&w, file_length); /* the file ends on a 4 KiB boundary, as docs/format.md says */
    if (!w.failed) {
        vdb_header_encode(&header, header_bytes);
        if (fseek(w.file, 0, SEEK_SET) != 0)
            w.failed = errno;
        write_bytes(&w, header_bytes, sizeof header_bytes);
    }
    if (!w.failed && fflush(w.file) != 0)
        w.failed = errno;
    if (!w.failed && fsync(fileno(w.file)) != 0)
        w.failed = errno;
    if (fclose(w.file) != 0 && !w.failed)
        w.failed = errno;
    const vdb_save_hooks *hooks = contents->hooks;
    vdb_journal_base written = vdb_journal_base_of(header_bytes, file_length);
    if (!w.failed && hooks && (code = hooks->before_replace(hooks->context, written)) != VDB_OK) {
        vdb_save_temp_close(&temp);
        return code;
    }
    if (!w.failed && vdb_save_temp_replace(&temp, target) != 0)
        w.failed = errno;
    vdb_save_temp_close(&temp);

    if (w.failed) {
        errno = w.failed;
        return vdb_fail_errno("cannot save index '%s'", path);
    }
    return hooks ? hooks->after_replace(hooks->context, written) : VDB_OK;
}

int vdb_format_save(const vdb_file_contents *contents, const char *path)
{
    char *target;
    int code = vdb_save_target(path, &target);
    if (code == VDB_OK) {
        code = save_to(contents, path, target);
        free(target);
    }
    return code;
}
