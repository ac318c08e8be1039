/*
 * Every section of an index file and its header carry a CRC32C, so nearly
 * every mutation a fuzzer makes is refused by the first checksum compared,
 * and the checks behind it (header fields, section table, links) would never
 * see a damaged value. A target that wants them reached makes the checksums
 * right again before it writes its input.
 */
#ifndef VDB_FUZZ_INDEX_CHECKSUMS_H
#define VDB_FUZZ_INDEX_CHECKSUMS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Set each section's CRC in the section table to the CRC of the bytes the
 * table entry names (when they lie inside the buffer), then the header's CRC.
 * Buffers shorter than the header are left as they are.
 */
void fuzz_fix_checksums(uint8_t *bytes, size_t size);

#endif
