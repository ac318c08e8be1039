/*
 * The index configuration: its defaults, its checks, and copying between
 * the library's vdb_config and a caller's, which may be an older, shorter
 * version of the struct: only the fields a caller's version has are ever
 * read or written (STYLE.md rule 12, libgit2's options structs).
 */
#ifndef VDB_CONFIG_H
#define VDB_CONFIG_H

#include "vdb.h"

#include <stddef.h>

/* Bytes of vdb_config that version `version` has; 0 for a version this library does not know. */
size_t vdb_config_size(uint32_t version);

/* The defaults, as this library's version of the struct. */
vdb_config vdb_config_defaults(void);

/* Read a caller's config of any known version into *out (defaults for the fields it lacks) and check it. */
int vdb_config_read(const vdb_config *theirs, vdb_config *out, int dim_required);

/* code_bytes fits codes and dim (a dim of 0, still unknown, passes): VDB_OK or VDB_EINVAL. */
int vdb_config_check_code_bytes(const vdb_config *config);

/* Write the fields of *config that the caller's version (theirs->version) has. */
int vdb_config_write(const vdb_config *config, vdb_config *theirs);

#endif
