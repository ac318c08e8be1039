/*
 * Id lists, as `vdb add --ids`, `vdb upsert --ids`, `vdb delete --ids` and
 * `vdb search --filter` read them: a text file of one decimal id per line, or
 * a .npy array of integers (recognised by its magic, whatever its name), or
 * text on stdin for "-". An id is 0 .. 2^64-2: UINT64_MAX is libvdb's "no id".
 */
#ifndef VDB_CLI_ID_FILES_H
#define VDB_CLI_ID_FILES_H

#include <stdint.h>

typedef struct id_list {
    uint64_t *ids; /* malloc'ed; NULL when count is 0 */
    uint64_t count;
    uint64_t cap;
} id_list;

/* The largest id libvdb accepts (UINT64_MAX is reserved). */
#define ID_MAX (UINT64_MAX - 1)

enum id_parse_status { ID_OK = 0, ID_NOT_A_NUMBER = -1, ID_TOO_LARGE = -2 };

/* One id written in decimal, the whole of `text`: ID_OK, ID_NOT_A_NUMBER or ID_TOO_LARGE (past ID_MAX). */
int id_parse(const char *text, uint64_t *out);

/* What is wrong with a text id_parse refused, to follow it in a message: "is not an id (a whole number 0..N)". */
const char *id_problem(int status);

/* Append one id; 0, or -1 when out of memory. */
int id_list_push(id_list *list, uint64_t id);

/*
 * Read the ids in `path` ("-" = text on stdin) into *out, in file order.
 * Text: one id per line, blanks around it allowed, blank lines skipped.
 * .npy: a 1-D (or N x 1) array of little-endian int32, uint32, int64 or
 * uint64, no negative values. On failure prints "vdb <cmd>: ..." naming the
 * file, the line or entry and the problem, and returns -1.
 */
int id_list_read(const char *cmd, const char *path, id_list *out);

/*
 * An id listed twice: 1 with the id and its first two positions (0-based),
 * 0 when every id is distinct, -1 when out of memory.
 */
int id_list_find_repeat(const id_list *list, uint64_t *id, uint64_t *first, uint64_t *second);

void id_list_free(id_list *list);

#endif
