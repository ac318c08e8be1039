/*
 * Read-only memory maps of whole files, with the errors a user can act on:
 * a missing path, a directory, an empty file.
 */
#ifndef VDB_MAPPING_H
#define VDB_MAPPING_H

#include <stddef.h>

typedef struct vdb_mapping {
    const unsigned char *bytes; /* NULL when nothing is mapped */
    size_t length;
} vdb_mapping;

/* Map path read-only and shared. `what` names the file in messages ("vector file", "index"). */
int vdb_mapping_open(vdb_mapping *out, const char *path, const char *what);
void vdb_mapping_close(vdb_mapping *mapping);

/* madvise a byte range of the mapping (rounded out to pages); failures are only hints lost. */
void vdb_mapping_advise(const vdb_mapping *mapping, size_t offset, size_t length, int advice);

#endif
