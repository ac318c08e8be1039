/*
 * The index file's header: its fields, their encoding, and the checks that
 * make every later number from the file safe to use.
 */
#ifndef VDB_FORMAT_HEADER_H
#define VDB_FORMAT_HEADER_H

#include <stddef.h>
#include <stdint.h>

/* Format 2 adds codes (docs/format.md); a file without codes is written as format 1, which older libraries read. */
#define VDB_FORMAT_VERSION 2u
#define VDB_FORMAT_VERSION_PLAIN 1u
#define VDB_HEADER_SIZE 4096u

enum {
    VDB_SECTION_VECTORS,
    VDB_SECTION_LINKS0,
    VDB_SECTION_UPPER,
    VDB_SECTION_IDS,
    VDB_SECTION_QUANTIZER, /* format 2: int8 offsets and steps, or PQ codebooks (float32) */
    VDB_SECTION_CODES,     /* format 2: a code row per node (codes/codes.h) */
    VDB_SECTION_COUNT
};

#define VDB_SECTION_ALIGN 4096u
#define VDB_HEADER_CRC_OFFSET (VDB_HEADER_SIZE - 4u)

typedef struct vdb_section {
    uint64_t offset;
    uint64_t length;
    uint32_t crc;
} vdb_section;

typedef struct vdb_header {
    uint32_t format_version;
    uint32_t dim;
    int32_t metric;
    uint32_t m;
    uint32_t m0;
    uint32_t ef_construction;
    uint32_t ef_search;
    uint32_t max_level;
    uint64_t count;
    uint64_t entry; /* UINT64_MAX when count is 0 */
    uint64_t seed;
    uint64_t upper_blocks;
    int32_t codes;          /* format 2: an enum vdb_codes value; VDB_CODES_NONE in format 1 */
    uint32_t codes_trained; /* format 2: 1 when the quantizer and code sections hold the codes, else 0 (empty) */
    uint32_t rerank;        /* format 2: the index's rerank setting */
    uint32_t code_bytes;    /* format 2: PQ's bytes a vector; 0 for other codes */
    uint32_t node_block;    /* format 2: bytes of one node's block (vdb_node_block_bytes); 0 in format 1 */
    vdb_section sections[VDB_SECTION_COUNT]; /* format 1 has the first four; the others are empty */
} vdb_header;

/*
 * Format 2 keeps each node's vector and level-0 link block together in one
 * block of the vectors section, so that one aligned read from the disk
 * brings both (a disk-resident search, disk/disk_search.h): the floats, the
 * links, zeros to the block's end. A block of 4 KiB or less is a power of
 * two, so that none straddles a 4 KiB page; a larger one is whole pages.
 */
uint32_t vdb_node_block_bytes(uint32_t dim, uint32_t m0);

/* Whether the header's format keeps node blocks (format 2) or separate vectors and level-0 links (format 1). */
static inline int vdb_header_node_blocks(const vdb_header *header) { return header->format_version >= 2; }

/* Each section's name in messages. */
extern const char *const vdb_section_names[VDB_SECTION_COUNT];

/* Sections the header's format has. */
static inline int vdb_header_sections(const vdb_header *header)
{
    return header->format_version == VDB_FORMAT_VERSION_PLAIN ? VDB_SECTION_QUANTIZER : VDB_SECTION_COUNT;
}

/* Section lengths implied by the header's counts (what the table must say). */
void vdb_header_section_lengths(const vdb_header *header, uint64_t lengths[VDB_SECTION_COUNT]);

/* Lay the sections of the header's format out one after another from the first 4 KiB boundary after the header. */
uint64_t vdb_header_layout(vdb_header *header);

/* Encode into VDB_HEADER_SIZE bytes, checksum included, as header->format_version says. */
void vdb_header_encode(const vdb_header *header, unsigned char bytes[VDB_HEADER_SIZE]);

/*
 * Decode and check a header against a file of file_length bytes: magic,
 * version, checksum, every field's range, every section inside the file.
 * `path` names the file in messages.
 */
int vdb_header_decode(vdb_header *header, const unsigned char *bytes, size_t file_length, const char *path);

#endif
