/*
 * The index file, format version 1 (docs/format.md describes it byte by
 * byte): a 4 KiB header with a checksummed table of sections, then the
 * vectors, level-0 links, upper-level links and ids, each 4 KiB-aligned so
 * that a mapping of the file is used in place.
 */
#ifndef VDB_FORMAT_H
#define VDB_FORMAT_H

#include "index/index.h"

#define VDB_FORMAT_VERSION 1u
#define VDB_HEADER_SIZE 4096u

/* Write index to path atomically (temporary file, fsync, rename). */
int vdb_format_save(const vdb_index *index, const char *path);

/* Map path and set index up as a read-only VDB_INDEX_OPENED index; O(1) unless flags ask for more. */
int vdb_format_open(vdb_index *index, const char *path, uint32_t flags);

/* Check every byte of the file at path: header, section checksums, link ranges. */
int vdb_format_verify(const char *path);

#endif
