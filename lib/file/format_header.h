/*
 * The index file's header: its fields, their encoding, and the checks that
 * make every later number from the file safe to use.
 */
#ifndef VDB_FORMAT_HEADER_H
#define VDB_FORMAT_HEADER_H

#include <stddef.h>
#include <stdint.h>

#define VDB_FORMAT_VERSION 1u
#define VDB_HEADER_SIZE 4096u

enum { VDB_SECTION_VECTORS, VDB_SECTION_LINKS0, VDB_SECTION_UPPER, VDB_SECTION_IDS, VDB_SECTION_COUNT };

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
    vdb_section sections[VDB_SECTION_COUNT];
} vdb_header;

/* Section lengths implied by the header's counts (what the table must say). */
void vdb_header_section_lengths(const vdb_header *header, uint64_t lengths[VDB_SECTION_COUNT]);

/* Lay the sections out one after another from the first 4 KiB boundary after the header. */
uint64_t vdb_header_layout(vdb_header *header);

/* Encode into VDB_HEADER_SIZE bytes, checksum included. */
void vdb_header_encode(const vdb_header *header, unsigned char bytes[VDB_HEADER_SIZE]);

/*
 * Decode and check a header against a file of file_length bytes: magic,
 * version, checksum, every field's range, every section inside the file.
 * `path` names the file in messages.
 */
int vdb_header_decode(vdb_header *header, const unsigned char *bytes, size_t file_length, const char *path);

#endif
