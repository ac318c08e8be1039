/*
 * `vdb delete`: delete vectors by id from an index file and save it. The
 * library's delete is all or nothing and names the first id it cannot
 * delete, so this command only gathers the ids and reports.
 */
#include "cli_args.h"
#include "commands.h"
#include "id_files.h"
#include "index_edit.h"
#include "timing.h"

#include "vdb.h"

#include <stdio.h>
#include <stdlib.h>

/* clang-format off: help text is laid out as it prints */
static const char HELP[] = "usage: vdb delete INDEX ID... [options]\n"
                           "       vdb delete INDEX --ids FILE [options]\n"
                           "\n"
                           "Delete the vectors of the given ids from INDEX and save INDEX in place.\n"
                           "All or nothing: if an id is not in INDEX, or is given twice, the error names\n"
                           "it and nothing is deleted. The save is atomic (INDEX is replaced by a\n"
                           "complete new file, or left as it was) and leaves the deleted vectors out of\n"
                           "the file. A deleted id may be added again later.\n"
                           "\n"
                           "  ID...           ids to delete, in decimal\n"
                           "  --ids FILE      more ids to delete: a text file of one decimal id per line\n"
                           "                  (blank lines skipped; '-' reads stdin), or a .npy array of\n"
                           "                  int32, uint32, int64 or uint64\n"
                           "  --output FILE   save the changed index to FILE, leaving INDEX as it is\n"
                           "  --recover       apply the intact commits of a damaged INDEX-journal and\n"
                           "                  drop the rest: the journal is cut there for good (even with\n"
                           "                  --output, or when the change then fails)\n"
                           "  -h, --help      show this help\n"
                           "\n"
                           "Prints the counts after the change: live vectors, and vectors deleted (by\n"
                           "this command, or by changes committed to INDEX's journal; the saved file\n"
                           "holds none). INDEX is checked completely before it is changed, and locked\n"
                           "against other commands changing it at once. Changes a program committed to\n"
                           "INDEX-journal are applied first, and the save in place keeps them too and\n"
                           "empties the journal; while a program holds INDEX open writable the command\n"
                           "fails, changing nothing. A journal damaged before its last commit fails the\n"
                           "command, changing nothing, unless --recover is given.\n";
/* clang-format on */

int cmd_delete(int argc, char **argv)
{
    const char *ids_path = NULL, *output = NULL;
    int recover = 0;
    cli_opt opts[] = {
        {"ids", CLI_STRING, &ids_path, 0},
        {"output", CLI_STRING, &output, 0},
        {"recover", CLI_FLAG, &recover, 0},
    };
    const char **pos = malloc((size_t)argc * sizeof *pos);
    if (!pos) {
        cli_error("delete", "out of memory");
        return CLI_EXIT_FAIL;
    }
    size_t npos = 0;
    int parsed = cli_parse("delete", argc, argv, opts, sizeof opts / sizeof *opts, pos, (size_t)argc, &npos);
    int status = CLI_EXIT_USAGE;
    id_list ids = {0};
    if (parsed == CLI_HELP) {
        cli_print_help(HELP);
        status = CLI_EXIT_OK;
        goto done;
    }
    if (parsed != CLI_PARSED)
        goto done;
    if (npos == 0) {
        cli_usage_error("delete", "missing INDEX");
        goto done;
    }
    if (npos == 1 && !ids_path) {
        cli_usage_error("delete", "no ids to delete: give them after INDEX, or --ids FILE");
        goto done;
    }
    /* Ids on the command line first, so a message's "position" counts them first too. */
    for (size_t i = 1; i < npos; i++) {
        uint64_t id;
        int rc = id_parse(pos[i], &id);
        if (rc != ID_OK) {
            cli_usage_error("delete", "'%s' %s", pos[i], id_problem(rc));
            goto done;
        }
        if (id_list_push(&ids, id) != 0) {
            cli_error("delete", "out of memory");
            status = CLI_EXIT_FAIL;
            goto done;
        }
    }
    status = CLI_EXIT_FAIL;
    if (ids_path) {
        id_list from_file;
        if (id_list_read("delete", ids_path, &from_file) != 0)
            goto done;
        if (from_file.count == 0) {
            cli_error("delete", "'%s' holds no ids; nothing was changed", ids_path);
            id_list_free(&from_file);
            goto done;
        }
        for (uint64_t i = 0; i < from_file.count; i++)
            if (id_list_push(&ids, from_file.ids[i]) != 0) {
                cli_error("delete", "out of memory");
                id_list_free(&from_file);
                goto done;
            }
        id_list_free(&from_file);
    }

    index_edit edit;
    if (index_edit_open("delete", pos[0], output, recover, &edit) != 0)
        goto done;
    double start = timing_now();
    int rc = vdb_delete(edit.index, ids.ids, ids.count);
    double seconds = timing_now() - start;
    if (rc != VDB_OK) {
        cli_lib_error("delete", rc, "'%s'", edit.path);
        index_edit_close(&edit);
        goto done;
    }
    double save_start = timing_now();
    if (index_edit_save("delete", &edit) != 0) {
        index_edit_close(&edit);
        goto done;
    }
    printf("deleted %llu %s in %.2f s, saved in %.2f s -> %s: %llu live, %llu deleted\n", (unsigned long long)ids.count,
           ids.count == 1 ? "id" : "ids", seconds, timing_now() - save_start, index_edit_destination(&edit),
           (unsigned long long)vdb_count(edit.index), (unsigned long long)vdb_deleted(edit.index));
    index_edit_close(&edit);
    status = CLI_EXIT_OK;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("delete", "writing the summary failed (the index was saved)");
        status = CLI_EXIT_FAIL;
    }
done:
    id_list_free(&ids);
    free(pos);
    return status;
}
