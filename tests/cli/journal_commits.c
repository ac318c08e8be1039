/*
 * A program that changes an index the way an application does and the `vdb`
 * tool never does: it opens INDEX writable, deletes each ID in a commit of
 * its own, and closes INDEX without saving, so the commits stay in
 * INDEX-journal. After each commit it prints the journal's size, which is
 * where the next commit's first record starts. tests/cli/run.sh damages the
 * journal it leaves, to test `vdb ... --recover`.
 *   journal_commits INDEX ID...
 * Prints "commit N: journal B bytes" per ID; exits 1 with the problem on stderr.
 */
#include "vdb.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: journal_commits INDEX ID...\n");
        return 2;
    }
    const char *path = argv[1];
    size_t journal_len = strlen(path) + sizeof "-journal";
    char *journal = malloc(journal_len);
    if (!journal) {
        fprintf(stderr, "journal_commits: out of memory\n");
        return 1;
    }
    snprintf(journal, journal_len, "%s-journal", path);
    vdb_index *index;
    int rc = vdb_open(&index, path, VDB_OPEN_WRITABLE);
    if (rc != VDB_OK) {
        fprintf(stderr, "journal_commits: %s\n", vdb_last_error());
        free(journal);
        return 1;
    }
    int status = 0;
    for (int i = 2; i < argc && status == 0; i++) {
        char *end;
        uint64_t id = strtoull(argv[i], &end, 10);
        struct stat st;
        if (*argv[i] == '\0' || *end != '\0') {
            fprintf(stderr, "journal_commits: '%s' is not an id\n", argv[i]);
            status = 1;
        } else if (vdb_delete(index, &id, 1) != VDB_OK || vdb_commit(index) != VDB_OK) {
            fprintf(stderr, "journal_commits: id %" PRIu64 ": %s\n", id, vdb_last_error());
            status = 1;
        } else if (stat(journal, &st) != 0) {
            fprintf(stderr, "journal_commits: cannot stat '%s'\n", journal);
            status = 1;
        } else {
            printf("commit %d: journal %lld bytes\n", i - 1, (long long)st.st_size);
        }
    }
    vdb_close(index); /* no save: the commits stay in the journal */
    free(journal);
    return status;
}
