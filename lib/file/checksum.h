/*
 * CRC32C (Castagnoli) for the index file's header and sections. The hardware
 * instruction is used when the CPU has SSE4.2; the table is the reference.
 */
#ifndef VDB_CHECKSUM_H
#define VDB_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC32C: start with crc = 0 for a fresh checksum. */
uint32_t vdb_crc32c(uint32_t crc, const void *data, size_t length);

/* The table-driven reference, exposed for tests. */
uint32_t vdb_crc32c_portable(uint32_t crc, const void *data, size_t length);

#endif
