/*
 * The nodes one disk walk has seen: an open-addressing set of node numbers,
 * sized to what the walk sees rather than to the graph. The in-memory
 * search tags every node instead (util/scratch.h), two bytes each: 2.6 MB
 * at 1.3 million nodes, nearly all of it touched by a walk's few thousand
 * scattered visits. A disk-resident batch walks dozens of queries at once
 * on each thread in memory meant for the codes, so there the set is the
 * better trade.
 */
#ifndef VDB_VISITED_SET_H
#define VDB_VISITED_SET_H

#include <stdint.h>

typedef struct vdb_visited_set {
    uint32_t *slots; /* node + 1; 0: empty */
    uint32_t mask;   /* slots - 1, a power of two less one */
    uint32_t count;
} vdb_visited_set;

/* Empty the set, with room for about `expected` nodes, or as many as it held, before it grows. VDB_OK or VDB_ENOMEM. */
int vdb_visited_set_clear(vdb_visited_set *set, uint32_t expected);
void vdb_visited_set_destroy(vdb_visited_set *set);

/* Add node: 0 if it is new, 1 if the set had it, VDB_ENOMEM if the set had to grow and could not. */
int vdb_visited_set_add(vdb_visited_set *set, uint32_t node);

#endif
