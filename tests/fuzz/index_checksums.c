/*
 * Rewriting an index file's checksums. The field offsets are those of
 * docs/format.md; the header's size, its CRC's place and the section count
 * come from the library's own header.
 */
#include "index_checksums.h"

#include "file/checksum.h"
#include "file/format_header.h"

#include <string.h>

enum { SECTION_TABLE = 80, SECTION_ENTRY_SIZE = 24, AT_LENGTH = 8, AT_CRC = 16 };

void fuzz_fix_checksums(uint8_t *bytes, size_t size)
{
    if (size < VDB_HEADER_SIZE)
        return;
    for (int i = 0; i < VDB_SECTION_COUNT; i++) {
        uint8_t *entry = bytes + SECTION_TABLE + i * SECTION_ENTRY_SIZE;
        uint64_t offset, length;
        memcpy(&offset, entry, sizeof offset);
        memcpy(&length, entry + AT_LENGTH, sizeof length);
        if (offset > size || length > size - offset)
            continue;
        uint32_t crc = vdb_crc32c(0, bytes + offset, (size_t)length);
        memcpy(entry + AT_CRC, &crc, sizeof crc);
    }
    uint32_t crc = vdb_crc32c(0, bytes, VDB_HEADER_CRC_OFFSET);
    memcpy(bytes + VDB_HEADER_CRC_OFFSET, &crc, sizeof crc);
}
