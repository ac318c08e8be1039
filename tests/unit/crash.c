/*
 * kill -9 at random moments of a child that changes, commits and
 * checkpoints an index (tests/soak/crash.sh runs it with many kills).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, usleep */
#include "durable_model.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Crashes. A child makes random changes, commits and checkpoints, telling
 * the parent through shared memory how many changes its last finished
 * commit covers and how many the one in flight does; the parent kills it
 * with SIGKILL at a random moment, replays the same script on a model, and
 * checks that the index holds one of those two states.
 */
typedef struct {
    atomic_ullong committed; /* changes covered by the last commit or checkpoint that returned */
    atomic_ullong in_flight; /* changes covered by the one under way, or 0 */
    atomic_int started;
} crash_board;

enum { CHANGES_PER_CHILD = 3000 };

static void run_child(const char *path, const model *base, uint64_t seed, crash_board *board)
{
    vdb_index *index = NULL;
    if (vdb_open(&index, path, VDB_OPEN_WRITABLE) != VDB_OK)
        _exit(2);
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    model m = *base;
    atomic_store(&board->started, 1);
    for (uint64_t done = 1; done <= CHANGES_PER_CHILD; done++) {
        change c = next_change(&rng, &m);
        if (apply_change(index, &c) != VDB_OK)
            _exit(3);
        uint64_t roll = tu_rng_next(&rng) % 16;
        if (roll < 4) {
            atomic_store(&board->in_flight, done);
            int code = roll == 0 ? vdb_save(index, path) : vdb_commit(index);
            if (code != VDB_OK)
                _exit(4);
            atomic_store(&board->committed, done);
            atomic_store(&board->in_flight, 0);
        }
    }
    pause();
    _exit(0);
}

/* The model after the first `changes` changes of the child's script. */
static model script_state(const model *base, uint64_t seed, uint64_t changes)
{
    model m = *base;
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    for (uint64_t done = 1; done <= changes; done++) {
        next_change(&rng, &m);
        tu_rng_next(&rng); /* the child's roll for a commit */
    }
    return m;
}

Test(crash, a_crash_at_any_moment_leaves_the_last_commit_or_the_one_in_flight, .timeout = 1800)
{
    const char *env = getenv("VDB_CRASH_KILLS");
    int kills = env ? atoi(env) : 200; /* hundreds in the test command; tests/soak/crash.sh runs thousands */
    crash_board *board = mmap(NULL, sizeof *board, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(board, MAP_FAILED);
    tu_rng timing;
    tu_rng_seed(&timing, 99);
    int saw_in_flight = 0, saw_committed = 0;
    for (int kill_number = 0; kill_number < kills; kill_number++) {
        fixture f = make_fixture();
        uint64_t seed = 1000 + (uint64_t)kill_number;
        atomic_store(&board->committed, 0);
        atomic_store(&board->in_flight, 0);
        atomic_store(&board->started, 0);
        pid_t child = fork();
        cr_assert_neq(child, -1);
        if (child == 0)
            run_child(f.path, &f.base, seed, board);
        /* Three kills in four come after a first commit, however slow the machine (or sanitizer) makes the child. */
        while (!atomic_load(&board->started) || (kill_number % 4 && !atomic_load(&board->committed))) {
            int status;
            cr_assert_eq(waitpid(child, &status, WNOHANG), 0, "the child could not open the index");
            usleep(100);
        }
        usleep((useconds_t)(tu_rng_next(&timing) % 20000));
        kill(child, SIGKILL);
        int status;
        cr_assert_eq(waitpid(child, &status, 0), child);
        cr_assert(WIFSIGNALED(status), "the child failed on its own (exit %d)", WEXITSTATUS(status));
        uint64_t committed = atomic_load(&board->committed), in_flight = atomic_load(&board->in_flight);

        cr_expect_eq(vdb_verify(f.path), VDB_OK, "kill %d: %s", kill_number, vdb_last_error());
        model want = script_state(&f.base, seed, committed);
        model maybe = in_flight ? script_state(&f.base, seed, in_flight) : want;
        vdb_index *index = open_index(f.path, kill_number % 2 ? VDB_OPEN_WRITABLE : VDB_OPEN_DEFAULT);
        char why[256], why_maybe[256];
        int is_committed = index_matches(index, &want, why, sizeof why);
        int is_in_flight = !is_committed && in_flight && index_matches(index, &maybe, why_maybe, sizeof why_maybe);
        cr_expect(is_committed || is_in_flight, "kill %d after %llu committed changes (%llu in flight): %s",
                  kill_number, (unsigned long long)committed, (unsigned long long)in_flight, why);
        saw_committed += committed > 0;
        saw_in_flight += is_in_flight;
        vdb_close(index);
        free_fixture(&f);
    }
    cr_log_info("%d kills: %d after a commit, %d with the commit in flight applied", kills, saw_committed,
                saw_in_flight);
    cr_expect_gt(saw_committed, kills / 2, "most kills should come after some commit; the timing is off");
    munmap(board, sizeof *board);
}
