/*
 * Every limit the library enforces, in one place: the API checks arguments
 * against them, the file reader checks headers against them, and stack
 * arrays are sized from them.
 */
#ifndef VDB_LIMITS_H
#define VDB_LIMITS_H

#include <stdint.h>

#define VDB_MAX_DIM 65536u              /* floats per vector */
#define VDB_MIN_M 2u                    /* links per node on levels >= 1 */
#define VDB_MAX_M 256u                  /* ... at most */
#define VDB_MAX_M0 (2u * VDB_MAX_M)     /* links per node on level 0: always 2 * m */
#define VDB_MAX_LEVEL 64u               /* levels above 0 a node can have */
#define VDB_MAX_NODES (UINT32_MAX - 1u) /* node numbers are u32; UINT32_MAX means "no node" */
#define VDB_NO_NODE UINT32_MAX
#define VDB_MAX_THREADS 1024u /* worker threads of one call */
#define VDB_MAX_EF                                                                                                     \
    65536u /* ef_construction and ef_search of a config or a file: each worker's scratch is sized by them */

#endif
