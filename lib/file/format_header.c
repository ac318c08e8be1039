/*
 * Header encoding and validation. Fields are little-endian and fixed width;
 * offsets are listed in docs/format.md. Nothing from the file is trusted
 * until every check here has passed.
 */
#include "file/format_header.h"

#include "codes/codes.h"
#include "file/checksum.h"
#include "util/error.h"
#include "util/limits.h"
#include "vdb.h"

#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "libvdb's file format is little-endian and this build assumes a little-endian host"
#endif

const char *const vdb_section_names[VDB_SECTION_COUNT] = {"vectors", "level-0 links", "upper links",
                                                          "ids",     "quantizer",     "codes"};

static const char magic[8] = {'V', 'D', 'B', 'I', 'N', 'D', 'E', 'X'};

enum {
    AT_MAGIC = 0,
    AT_VERSION = 8,
    AT_HEADER_SIZE = 12,
    AT_FLAGS = 16,
    AT_DIM = 20,
    AT_METRIC = 24,
    AT_M = 28,
    AT_M0 = 32,
    AT_EF_CONSTRUCTION = 36,
    AT_EF_SEARCH = 40,
    AT_MAX_LEVEL = 44,
    AT_COUNT = 48,
    AT_ENTRY = 56,
    AT_SEED = 64,
    AT_UPPER_BLOCKS = 72,
    AT_SECTIONS = 80,
    SECTION_ENTRY_SIZE = 24,
    AT_CODES = AT_SECTIONS + VDB_SECTION_COUNT * SECTION_ENTRY_SIZE, /* format 2 */
    AT_CODES_TRAINED = AT_CODES + 4,
    AT_RERANK = AT_CODES + 8,
    AT_CODE_BYTES = AT_CODES + 12,
    AT_NODE_BLOCK = AT_CODES + 16,
};

static void put32(unsigned char *at, uint32_t value) { memcpy(at, &value, sizeof value); }
static void put64(unsigned char *at, uint64_t value) { memcpy(at, &value, sizeof value); }
static uint32_t get32(const unsigned char *at)
{
    uint32_t value;
    memcpy(&value, at, sizeof value);
    return value;
}
static uint64_t get64(const unsigned char *at)
{
    uint64_t value;
    memcpy(&value, at, sizeof value);
    return value;
}

static uint64_t align_up(uint64_t value)
{
    return (value + VDB_SECTION_ALIGN - 1) / VDB_SECTION_ALIGN * VDB_SECTION_ALIGN;
}

uint32_t vdb_node_block_bytes(uint32_t dim, uint32_t m0)
{
    uint32_t bytes = (dim + m0 + 1) * (uint32_t)sizeof(float), block = 64;
    if (bytes > VDB_SECTION_ALIGN)
        return (uint32_t)align_up(bytes);
    while (block < bytes)
        block *= 2;
    return block;
}

void vdb_header_section_lengths(const vdb_header *header, uint64_t lengths[VDB_SECTION_COUNT])
{
    /* Callers have bounded count, dim, m and upper_blocks, so none of these overflow. */
    if (vdb_header_node_blocks(header)) {
        lengths[VDB_SECTION_VECTORS] = header->count * vdb_node_block_bytes(header->dim, header->m0);
        lengths[VDB_SECTION_LINKS0] = 0; /* the level-0 links are in the node blocks */
    } else {
        lengths[VDB_SECTION_VECTORS] = header->count * header->dim * sizeof(float);
        lengths[VDB_SECTION_LINKS0] = header->count * (header->m0 + 1) * sizeof(uint32_t);
    }
    lengths[VDB_SECTION_UPPER] = (header->count + 1 + header->upper_blocks * (header->m + 1)) * sizeof(uint32_t);
    lengths[VDB_SECTION_IDS] = header->count * sizeof(uint64_t);
    int coded = header->codes_trained != 0;
    uint32_t bytes = vdb_codes_bytes(header->codes, header->dim, header->code_bytes);
    lengths[VDB_SECTION_QUANTIZER] = coded ? sizeof(float) * vdb_codes_quantizer_floats(header->codes, header->dim) : 0;
    lengths[VDB_SECTION_CODES] = coded ? header->count * vdb_codes_stride(bytes) : 0;
}

uint64_t vdb_header_layout(vdb_header *header)
{
    uint64_t lengths[VDB_SECTION_COUNT], offset = VDB_HEADER_SIZE;
    vdb_header_section_lengths(header, lengths);
    for (int i = 0; i < vdb_header_sections(header); i++) {
        header->sections[i].offset = offset;
        header->sections[i].length = lengths[i];
        offset = align_up(offset + lengths[i]);
    }
    return offset;
}

void vdb_header_encode(const vdb_header *header, unsigned char bytes[VDB_HEADER_SIZE])
{
    memset(bytes, 0, VDB_HEADER_SIZE);
    memcpy(bytes + AT_MAGIC, magic, sizeof magic);
    put32(bytes + AT_VERSION, header->format_version);
    put32(bytes + AT_HEADER_SIZE, VDB_HEADER_SIZE);
    put32(bytes + AT_FLAGS, 0);
    put32(bytes + AT_DIM, header->dim);
    put32(bytes + AT_METRIC, (uint32_t)header->metric);
    put32(bytes + AT_M, header->m);
    put32(bytes + AT_M0, header->m0);
    put32(bytes + AT_EF_CONSTRUCTION, header->ef_construction);
    put32(bytes + AT_EF_SEARCH, header->ef_search);
    put32(bytes + AT_MAX_LEVEL, header->max_level);
    put64(bytes + AT_COUNT, header->count);
    put64(bytes + AT_ENTRY, header->entry);
    put64(bytes + AT_SEED, header->seed);
    put64(bytes + AT_UPPER_BLOCKS, header->upper_blocks);
    for (int i = 0; i < vdb_header_sections(header); i++) {
        unsigned char *entry = bytes + AT_SECTIONS + i * SECTION_ENTRY_SIZE;
        put64(entry, header->sections[i].offset);
        put64(entry + 8, header->sections[i].length);
        put32(entry + 16, header->sections[i].crc);
    }
    if (header->format_version >= 2) {
        put32(bytes + AT_CODES, (uint32_t)header->codes);
        put32(bytes + AT_CODES_TRAINED, header->codes_trained);
        put32(bytes + AT_RERANK, header->rerank);
        put32(bytes + AT_CODE_BYTES, header->code_bytes);
        put32(bytes + AT_NODE_BLOCK, header->node_block);
    }
    put32(bytes + VDB_HEADER_CRC_OFFSET, vdb_crc32c(0, bytes, VDB_HEADER_CRC_OFFSET));
}

static int check_fields(const vdb_header *h, const char *path)
{
    if (h->dim == 0 || h->dim > VDB_MAX_DIM)
        return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: dimension %u", path, h->dim);
    if (h->metric < VDB_METRIC_L2 || h->metric > VDB_METRIC_COSINE)
        return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: metric %d", path, h->metric);
    if (h->m < VDB_MIN_M || h->m > VDB_MAX_M || h->m0 != 2 * h->m)
        return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: m %u, m0 %u", path, h->m, h->m0);
    if (h->ef_construction == 0 || h->ef_construction > VDB_MAX_EF || h->ef_search == 0 || h->ef_search > VDB_MAX_EF ||
        h->max_level > VDB_MAX_LEVEL)
        return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: ef_construction %u, ef_search %u, max level %u", path,
                        h->ef_construction, h->ef_search, h->max_level);
    if (h->count > VDB_MAX_NODES || h->upper_blocks > UINT32_MAX)
        return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: %llu nodes, %llu upper blocks", path,
                        (unsigned long long)h->count, (unsigned long long)h->upper_blocks);
    if (h->codes < VDB_CODES_NONE || h->codes > VDB_CODES_PQ || h->codes_trained > 1 ||
        (h->codes_trained && h->codes == VDB_CODES_NONE) || h->rerank > VDB_MAX_EF ||
        (h->codes == VDB_CODES_PQ ? h->code_bytes == 0 || h->code_bytes > h->dim : h->code_bytes != 0))
        return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: codes %d (trained %u, %u bytes), rerank %u", path,
                        h->codes, h->codes_trained, h->code_bytes, h->rerank);
    if (vdb_header_node_blocks(h) && h->node_block != vdb_node_block_bytes(h->dim, h->m0))
        return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: node block of %u bytes for dimension %u and m0 %u", path,
                        h->node_block, h->dim, h->m0);
    if (h->count == 0 ? h->entry != UINT64_MAX : h->entry >= h->count)
        return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: entry point %llu of %llu nodes", path,
                        (unsigned long long)h->entry, (unsigned long long)h->count);
    return VDB_OK;
}

static int check_sections(const vdb_header *h, size_t file_length, const char *path)
{
    uint64_t lengths[VDB_SECTION_COUNT], previous_end = VDB_HEADER_SIZE;
    vdb_header_section_lengths(h, lengths);
    for (int i = 0; i < vdb_header_sections(h); i++) {
        const vdb_section *s = &h->sections[i];
        if (s->length != lengths[i] || s->offset % VDB_SECTION_ALIGN != 0 || s->offset < previous_end)
            return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: bad %s section table entry", path,
                            vdb_section_names[i]);
        if (s->offset > file_length || s->length > file_length - s->offset)
            return vdb_fail(VDB_EFORMAT, "index '%s' is truncated: %s section ends at byte %llu of %zu", path,
                            vdb_section_names[i], (unsigned long long)(s->offset + s->length), file_length);
        previous_end = s->offset + s->length;
    }
    /* O(1) and on every open: a file cut inside its last padding, or with bytes past its end, is not a saved file. */
    uint64_t end = align_up(previous_end);
    if (file_length != end)
        return vdb_fail(VDB_EFORMAT, "index '%s' is %s: %zu bytes where its layout ends at %llu", path,
                        file_length < end ? "truncated" : "corrupt", file_length, (unsigned long long)end);
    return VDB_OK;
}

int vdb_header_decode(vdb_header *h, const unsigned char *bytes, size_t file_length, const char *path)
{
    if (file_length < sizeof magic || memcmp(bytes, magic, sizeof magic) != 0)
        return vdb_fail(VDB_EFORMAT, "'%s' is not a libvdb index (no VDBINDEX magic)", path);
    if (file_length < AT_HEADER_SIZE)
        return vdb_fail(VDB_EFORMAT, "index '%s' is truncated (%zu bytes)", path, file_length);
    /* The version comes before the checksum: a newer format may checksum differently. */
    uint32_t version = get32(bytes + AT_VERSION);
    if (version > VDB_FORMAT_VERSION)
        return vdb_fail(VDB_EVERSION, "index '%s' has unsupported format version %u; this library reads up to %u", path,
                        version, VDB_FORMAT_VERSION);
    if (version == 0)
        return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: format version 0", path);
    if (file_length < VDB_HEADER_SIZE)
        return vdb_fail(VDB_EFORMAT, "index '%s' is truncated (%zu bytes, the header alone is %u)", path, file_length,
                        VDB_HEADER_SIZE);
    if (get32(bytes + VDB_HEADER_CRC_OFFSET) != vdb_crc32c(0, bytes, VDB_HEADER_CRC_OFFSET))
        return vdb_fail(VDB_EFORMAT, "index '%s' is corrupt: header checksum mismatch", path);
    if (get32(bytes + AT_HEADER_SIZE) != VDB_HEADER_SIZE || get32(bytes + AT_FLAGS) != 0)
        return vdb_fail(VDB_EFORMAT, "index '%s' has an unknown header size or flags", path);

    h->format_version = version;
    h->dim = get32(bytes + AT_DIM);
    h->metric = (int32_t)get32(bytes + AT_METRIC);
    h->m = get32(bytes + AT_M);
    h->m0 = get32(bytes + AT_M0);
    h->ef_construction = get32(bytes + AT_EF_CONSTRUCTION);
    h->ef_search = get32(bytes + AT_EF_SEARCH);
    h->max_level = get32(bytes + AT_MAX_LEVEL);
    h->count = get64(bytes + AT_COUNT);
    h->entry = get64(bytes + AT_ENTRY);
    h->seed = get64(bytes + AT_SEED);
    h->upper_blocks = get64(bytes + AT_UPPER_BLOCKS);
    memset(h->sections, 0, sizeof h->sections);
    for (int i = 0; i < vdb_header_sections(h); i++) {
        const unsigned char *entry = bytes + AT_SECTIONS + i * SECTION_ENTRY_SIZE;
        h->sections[i] = (vdb_section){get64(entry), get64(entry + 8), get32(entry + 16)};
    }
    h->codes = VDB_CODES_NONE;
    h->codes_trained = h->rerank = h->code_bytes = h->node_block = 0;
    if (version >= 2) {
        h->codes = (int32_t)get32(bytes + AT_CODES);
        h->codes_trained = get32(bytes + AT_CODES_TRAINED);
        h->rerank = get32(bytes + AT_RERANK);
        h->code_bytes = get32(bytes + AT_CODE_BYTES);
        h->node_block = get32(bytes + AT_NODE_BLOCK);
    }
    int code = check_fields(h, path);
    return code != VDB_OK ? code : check_sections(h, file_length, path);
}
