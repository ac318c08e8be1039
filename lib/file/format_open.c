/*
 * Opening and verifying index files. Opening reads the header and two words
 * of the upper-links section, nothing that grows with the index; verifying
 * reads everything.
 */
#include "file/checksum.h"
#include "util/error.h"
#include "file/format.h"

#include <string.h>
#include <sys/mman.h>

static const void *section_bytes(const vdb_mapping *file, const vdb_header *header, int section)
{
    return file->bytes + header->sections[section].offset;
}

/* A quantizer decodes every code: int8 offsets finite, steps finite and >= 0; PQ codebooks finite. O(dim). */
static int check_quantizer(const vdb_mapping *file, const vdb_header *header, const char *path)
{
    if (!header->codes_trained)
        return VDB_OK;
    const char *problem =
        vdb_codes_check_quantizer(header->codes, section_bytes(file, header, VDB_SECTION_QUANTIZER), header->dim);
    if (problem)
        return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: its quantizer holds %s", path, problem);
    return VDB_OK;
}

/* The few O(1) checks of the links that open can afford. */
static int check_upper_start(const vdb_mapping *file, const vdb_header *header, const char *path)
{
    const uint32_t *upper_start = section_bytes(file, header, VDB_SECTION_UPPER);
    if (upper_start[0] != 0 || upper_start[header->count] != header->upper_blocks)
        return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: upper-link table does not match its header", path);
    if (header->count > 0) {
        uint64_t entry = header->entry;
        if (upper_start[entry + 1] < upper_start[entry] ||
            upper_start[entry + 1] - upper_start[entry] != header->max_level)
            return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: entry point is not on the top level", path);
    }
    return VDB_OK;
}

static int check_block(const uint32_t *block, uint32_t limit, uint64_t count)
{
    if (block[0] > limit)
        return 0;
    for (uint32_t i = 0; i < block[0]; i++)
        if (block[1 + i] >= count)
            return 0;
    return 1;
}

/* A link on level l leads to a node that has level l: insertion links back through it on that level. */
static int check_upper_targets(const uint32_t *upper_start, const vdb_header *h, const char *path)
{
    const uint32_t *upper_links = upper_start + h->count + 1;
    for (uint64_t node = 0; node < h->count; node++)
        for (uint32_t level = 1; upper_start[node] + level <= upper_start[node + 1]; level++) {
            const uint32_t *block = upper_links + (upper_start[node] + level - 1) * (uint64_t)(h->m + 1);
            for (uint32_t i = 0; i < block[0]; i++)
                if (upper_start[block[1 + i] + 1] - upper_start[block[1 + i]] < level)
                    return vdb_fail(VDB_EFORMAT,
                                    "index '%s' is corrupt: node %llu links on level %u to node %u, "
                                    "which is not on that level",
                                    path, (unsigned long long)node, level, block[1 + i]);
        }
    return VDB_OK;
}

/* Where node 0's level-0 block is, and how many words apart the next ones are. */
static const uint32_t *level0_blocks(const vdb_mapping *file, const vdb_header *h, uint32_t *stride)
{
    if (!vdb_header_node_blocks(h)) {
        *stride = h->m0 + 1;
        return section_bytes(file, h, VDB_SECTION_LINKS0);
    }
    *stride = h->node_block / sizeof(uint32_t);
    return (const uint32_t *)section_bytes(file, h, VDB_SECTION_VECTORS) + h->dim; /* after node 0's vector */
}

static int check_links(const vdb_mapping *file, const vdb_header *h, const char *path)
{
    uint32_t stride;
    const uint32_t *links0 = level0_blocks(file, h, &stride);
    for (uint64_t node = 0; node < h->count; node++)
        if (!check_block(links0 + node * stride, h->m0, h->count))
            return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: level-0 links of node %llu", path,
                            (unsigned long long)node);
    const uint32_t *upper_start = section_bytes(file, h, VDB_SECTION_UPPER);
    const uint32_t *upper_links = upper_start + h->count + 1;
    for (uint64_t node = 0; node < h->count; node++)
        if (upper_start[node + 1] < upper_start[node] || upper_start[node + 1] - upper_start[node] > h->max_level)
            return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: level of node %llu", path, (unsigned long long)node);
    for (uint64_t block = 0; block < h->upper_blocks; block++)
        if (!check_block(upper_links + block * (h->m + 1), h->m, h->count))
            return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: upper links block %llu", path,
                            (unsigned long long)block);
    return check_upper_targets(upper_start, h, path);
}

static int all_zero(const unsigned char *bytes, uint64_t length)
{
    for (uint64_t i = 0; i < length; i++)
        if (bytes[i] != 0)
            return 0;
    return 1;
}

/*
 * The padding after each section, up to the next one and to the file's
 * 4 KiB end, must be zero. (The header decoder checked that the file ends
 * there.)
 */
static int check_padding(const vdb_mapping *file, const vdb_header *header, const char *path)
{
    int sections = vdb_header_sections(header);
    for (int i = 0; i < sections; i++) {
        uint64_t from = header->sections[i].offset + header->sections[i].length;
        uint64_t to = i + 1 < sections ? header->sections[i + 1].offset : file->length;
        if (!all_zero(file->bytes + from, to - from))
            return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: non-zero padding after the %s section", path,
                            vdb_section_names[i]);
    }
    return VDB_OK;
}

static int verify_mapping(const vdb_mapping *file, const vdb_header *header, const char *path)
{
    int code = check_padding(file, header, path);
    if (code != VDB_OK)
        return code;
    for (int i = 0; i < vdb_header_sections(header); i++) {
        const vdb_section *s = &header->sections[i];
        if (vdb_crc32c(0, file->bytes + s->offset, s->length) != s->crc)
            return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: %s section checksum mismatch", path,
                            vdb_section_names[i]);
    }
    if ((code = check_upper_start(file, header, path)) != VDB_OK ||
        (code = check_quantizer(file, header, path)) != VDB_OK)
        return code;
    return check_links(file, header, path);
}

static int map_and_decode(vdb_mapping *file, vdb_header *header, const char *path)
{
    int code = vdb_mapping_open(file, path, "index");
    if (code != VDB_OK)
        return code;
    if ((code = vdb_header_decode(header, file->bytes, file->length, path)) != VDB_OK)
        vdb_mapping_close(file);
    return code;
}

int vdb_format_verify(const char *path)
{
    vdb_mapping file;
    vdb_header header;
    int code = map_and_decode(&file, &header, path);
    if (code != VDB_OK)
        return code;
    vdb_mapping_advise(&file, 0, file.length, MADV_SEQUENTIAL);
    code = verify_mapping(&file, &header, path);
    vdb_mapping_close(&file);
    return code;
}

int vdb_format_open(vdb_index_file *out, const char *path, uint32_t flags)
{
    vdb_index_file file;
    int code = map_and_decode(&file.mapping, &file.header, path);
    if (code != VDB_OK)
        return code;
    const vdb_header *h = &file.header;
    const vdb_mapping *mapping = &file.mapping;
    code = flags & VDB_OPEN_VERIFY ? verify_mapping(mapping, h, path) : check_upper_start(mapping, h, path);
    if (code == VDB_OK && !(flags & VDB_OPEN_VERIFY))
        code = check_quantizer(mapping, h, path);
    /*
     * A writable open copies every link, so checking them all costs little
     * more; and it must: insertion trusts the link counts of the blocks it
     * changes, where searches clamp and range-check every link they read.
     */
    if (code == VDB_OK && (flags & VDB_OPEN_WRITABLE) && !(flags & VDB_OPEN_VERIFY))
        code = check_links(mapping, h, path);
    if (code != VDB_OK) {
        vdb_mapping_close(&file.mapping);
        return code;
    }
    file.vectors = section_bytes(mapping, h, VDB_SECTION_VECTORS);
    file.ids = section_bytes(mapping, h, VDB_SECTION_IDS);
    uint32_t links0_stride;
    const uint32_t *links0 = level0_blocks(mapping, h, &links0_stride);
    file.vector_stride = vdb_header_node_blocks(h) ? links0_stride : h->dim;
    file.links = (vdb_hnsw_sections){
        .links0 = links0,
        .links0_stride = links0_stride,
        .upper_start = section_bytes(mapping, h, VDB_SECTION_UPPER),
        .count = (uint32_t)h->count,
        .upper_blocks = h->upper_blocks,
        .entry = h->count ? (uint32_t)h->entry : VDB_NO_NODE,
        .max_level = h->max_level,
    };
    file.quantizer = h->codes_trained ? section_bytes(mapping, h, VDB_SECTION_QUANTIZER) : NULL;
    file.codes = h->codes_trained ? section_bytes(mapping, h, VDB_SECTION_CODES) : NULL;

    /* A graph walk touches rows in no order the kernel could predict: read ahead nothing. */
    if (flags & VDB_OPEN_POPULATE)
        vdb_mapping_advise(mapping, 0, mapping->length, MADV_WILLNEED);
    else
        vdb_mapping_advise(mapping, h->sections[VDB_SECTION_VECTORS].offset,
                           h->sections[VDB_SECTION_VECTORS].length + h->sections[VDB_SECTION_LINKS0].length +
                               VDB_SECTION_ALIGN,
                           MADV_RANDOM);
    *out = file;
    return VDB_OK;
}
