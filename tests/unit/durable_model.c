/*
 * The model the durable tests keep beside an index: which ids it should
 * hold with which vectors, a random script of changes made to both, and the
 * check that an index holds exactly its model.
 */
#include "durable_model.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

uint64_t model_count(const model *m)
{
    uint64_t count = 0;
    for (int id = 0; id < IDS; id++)
        count += m->present[id];
    return count;
}

/* Pick n distinct ids with present == want, or fewer when there are not that many. */
static uint64_t pick_ids(tu_rng *rng, const model *m, int want, uint64_t n, uint64_t *ids)
{
    uint64_t got = 0;
    for (int tries = 0; tries < 64 && got < n; tries++) {
        uint64_t id = tu_rng_next(rng) % IDS, seen = 0;
        for (uint64_t i = 0; i < got; i++)
            seen |= ids[i] == id;
        if (m->present[id] == want && !seen)
            ids[got++] = id;
    }
    return got;
}

/* The next change of a random script: chosen from the model's state, then applied to it. */
change next_change(tu_rng *rng, model *m)
{
    change c = {.n = 1 + tu_rng_next(rng) % MAX_BATCH};
    uint64_t roll = tu_rng_next(rng) % 10;
    c.kind = roll < 4 ? OP_ADD : roll < 7 ? OP_UPSERT : OP_DELETE;
    c.n = pick_ids(rng, m, c.kind == OP_ADD ? 0 : c.kind == OP_DELETE ? 1 : tu_rng_next(rng) % 2, c.n, c.ids);
    for (uint64_t i = 0; i < c.n; i++) {
        for (int d = 0; d < DIM; d++)
            c.rows[i][d] = (float)tu_rng_gaussian(rng);
        m->present[c.ids[i]] = c.kind != OP_DELETE;
        memcpy(m->rows[c.ids[i]], c.rows[i], sizeof c.rows[i]);
    }
    return c;
}

int apply_change(vdb_index *index, const change *c)
{
    if (c->n == 0)
        return VDB_OK;
    if (c->kind == OP_DELETE)
        return vdb_delete(index, c->ids, c->n);
    return c->kind == OP_ADD ? vdb_add(index, &c->rows[0][0], c->n, c->ids)
                             : vdb_upsert(index, &c->rows[0][0], c->n, c->ids);
}

/* Whether the index holds exactly the model: the same ids and vectors, and searches return only those ids. */
int index_matches(const vdb_index *index, const model *m, char *why, size_t why_size)
{
    if (vdb_count(index) != model_count(m)) {
        snprintf(why, why_size, "%llu vectors, want %llu", (unsigned long long)vdb_count(index),
                 (unsigned long long)model_count(m));
        return 0;
    }
    float row[DIM];
    for (uint64_t id = 0; id < IDS; id++) {
        int code = vdb_get(index, id, row);
        if (code != (m->present[id] ? VDB_OK : VDB_ENOTFOUND) ||
            (code == VDB_OK && memcmp(row, m->rows[id], sizeof row) != 0)) {
            snprintf(why, why_size, "id %llu: %s (%s)", (unsigned long long)id,
                     code == VDB_OK ? (m->present[id] ? "another vector" : "present, want absent") : vdb_strerror(code),
                     m->present[id] ? "want present" : "want absent");
            return 0;
        }
    }
    uint64_t ids[10];
    float distances[10];
    uint32_t found;
    for (uint64_t q = 0; q < IDS; q += 37) {
        if (vdb_search(index, m->rows[q], 10, 32, ids, distances, &found) != VDB_OK) {
            snprintf(why, why_size, "search: %s", vdb_last_error());
            return 0;
        }
        for (uint32_t i = 0; i < found; i++)
            if (ids[i] >= IDS || !m->present[ids[i]]) {
                snprintf(why, why_size, "a search returned id %llu, not in the index", (unsigned long long)ids[i]);
                return 0;
            }
    }
    return 1;
}

void expect_matches(const vdb_index *index, const model *m, const char *when)
{
    char why[256];
    cr_expect(index_matches(index, m, why, sizeof why), "%s: %s", when, why);
}

/* A saved index of BASE_COUNT vectors, ids 0.., and its model. */
fixture make_fixture(void)
{
    fixture f = {tu_temp_dir(), NULL, NULL, {{0}, {{0}}}};
    f.path = tu_path(f.dir, "i.vdb");
    f.journal = tu_path(f.dir, "i.vdb-journal");
    float *rows = tu_uniform(BASE_COUNT, DIM, 7);
    uint64_t ids[BASE_COUNT];
    for (uint64_t i = 0; i < BASE_COUNT; i++) {
        ids[i] = i;
        f.base.present[i] = 1;
        memcpy(f.base.rows[i], rows + i * DIM, sizeof f.base.rows[i]);
    }
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    cfg.threads = 1;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_assert_eq(vdb_add(index, rows, BASE_COUNT, ids), VDB_OK);
    cr_assert_eq(vdb_save(index, f.path), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    free(rows);
    return f;
}

void free_fixture(fixture *f)
{
    free(f->path);
    free(f->journal);
    tu_remove_dir(f->dir);
}

vdb_index *open_index(const char *path, uint32_t flags)
{
    vdb_index *index = NULL;
    cr_assert_eq(vdb_open(&index, path, flags), VDB_OK, "open '%s': %s", path, vdb_last_error());
    return index;
}

/* Make `count` random changes on index and model. */
void make_changes(vdb_index *index, model *m, tu_rng *rng, int count)
{
    for (int i = 0; i < count; i++) {
        change c = next_change(rng, m);
        cr_assert_eq(apply_change(index, &c), VDB_OK, "%s", vdb_last_error());
    }
}

long file_size(const char *path)
{
    struct stat status;
    return stat(path, &status) == 0 ? (long)status.st_size : -1;
}
