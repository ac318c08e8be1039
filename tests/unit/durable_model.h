/*
 * The model the durable tests keep beside an index (durable_model.c): the
 * expected state of an index is always the model's, never read back from
 * the index under test.
 */
#ifndef VDB_TEST_DURABLE_MODEL_H
#define VDB_TEST_DURABLE_MODEL_H

#include "testutil.h"

#include <stddef.h>
#include <stdint.h>
#include <vdb.h>

enum { DIM = 8, IDS = 256, BASE_COUNT = 40, MAX_BATCH = 4 };

/* What an index should hold: which ids, with which vectors. */
typedef struct {
    unsigned char present[IDS];
    float rows[IDS][DIM];
} model;

/* One change, as made to both an index and a model. */
typedef enum { OP_ADD, OP_UPSERT, OP_DELETE } op_kind;
typedef struct {
    op_kind kind;
    uint64_t n;
    uint64_t ids[MAX_BATCH];
    float rows[MAX_BATCH][DIM];
} change;

uint64_t model_count(const model *m);

/* The next change of a random script: chosen from the model's state, then applied to it. */
change next_change(tu_rng *rng, model *m);

/* Make the change on an index: VDB_OK or the call's code. */
int apply_change(vdb_index *index, const change *c);

/* Make `count` random changes on index and model, asserting each succeeds. */
void make_changes(vdb_index *index, model *m, tu_rng *rng, int count);

/* Whether the index holds exactly the model: the same ids and vectors, and searches return only those ids. */
int index_matches(const vdb_index *index, const model *m, char *why, size_t why_size);
void expect_matches(const vdb_index *index, const model *m, const char *when);

/* A saved index of BASE_COUNT vectors with ids 0.., in a fresh folder, and its model. */
typedef struct {
    char *dir, *path, *journal;
    model base;
} fixture;

fixture make_fixture(void);
void free_fixture(fixture *f);

/* vdb_open, asserting it succeeds. */
vdb_index *open_index(const char *path, uint32_t flags);

/* A file's size, or -1 when it is missing. */
long file_size(const char *path);

#endif
