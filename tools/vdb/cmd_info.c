/*
 * `vdb info`: what an index file holds. Only the header is read (vdb_open is
 * O(1)), so this is instant on an index of any size, unless the journal
 * beside it holds committed changes, which every open applies; `vdb verify`
 * is the command that reads everything.
 */
#include "cli_args.h"
#include "commands.h"

#include "vdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* clang-format off: help text is laid out as it prints */
static const char HELP[] = "usage: vdb info INDEX [--recover]\n"
                           "\n"
                           "Print an index file's vector counts, dimension, metric, build parameters,\n"
                           "codes, file size, journal size and the version of libvdb reading it. Reads\n"
                           "only the header, and the journal's committed changes, which every open\n"
                           "applies.\n"
                           "\n"
                           "  live     vectors a search can return\n"
                           "  deleted  deleted vectors the index holds (0 for files libvdb saves, as a\n"
                           "           save leaves deleted vectors out, unless the journal holds\n"
                           "           deletions or replaced vectors the file does not have yet)\n"
                           "  codes    none, int8, or pq with its bytes a vector, and 'trained' or 'not\n"
                           "           trained' (codes are trained when an index first holds 1024\n"
                           "           vectors, 4096 for pq; until then searches read the float32 rows)\n"
                           "  rerank   with codes: how many of a search's best candidates by code get\n"
                           "           their exact distance; 0 = all ef of them\n"
                           "  disk     whether INDEX opens for disk-resident search (vdb search --disk,\n"
                           "           VDB_OPEN_DISK): it needs codes, a file saved with them, and no\n"
                           "           journal changes the file does not hold yet; if not, why not\n"
                           "  journal  the size of INDEX-journal, where a program holding INDEX open\n"
                           "           writable keeps its changes until a save in place (a checkpoint)\n"
                           "           folds them into the file; 'none' when there is none\n"
                           "\n"
                           "  --recover   apply the intact commits of a damaged INDEX-journal and leave\n"
                           "              out the rest (the journal is not changed); without it such a\n"
                           "              journal is an error\n"
                           "  -h, --help  show this help\n";
/* clang-format on */

/* Whether the file opens disk-resident: the library is asked (an O(1) open), since that rests on the file's format. */
static void print_disk(const char *path, const vdb_config *cfg, int recover)
{
    if (cfg->codes == VDB_CODES_NONE) {
        printf("disk             no (needs codes: vdb build --codes int8 or pq)\n");
        return;
    }
    vdb_index *disk;
    if (vdb_open(&disk, path, VDB_OPEN_DISK | (recover ? VDB_OPEN_RECOVER : 0)) == VDB_OK) {
        printf("disk             yes (vdb search --disk)\n");
        vdb_close(disk);
    } else {
        printf("disk             no: %s\n", vdb_last_error());
    }
}

int cmd_info(int argc, char **argv)
{
    int recover = 0;
    cli_opt opts[] = {
        {"recover", CLI_FLAG, &recover, 0},
    };
    const char *path;
    size_t npos = 0;
    int parsed = cli_parse("info", argc, argv, opts, sizeof opts / sizeof *opts, &path, 1, &npos);
    if (parsed == CLI_HELP) {
        cli_print_help(HELP);
        return CLI_EXIT_OK;
    }
    if (parsed != CLI_PARSED)
        return CLI_EXIT_USAGE;
    if (npos != 1) {
        cli_usage_error("info", "missing INDEX");
        return CLI_EXIT_USAGE;
    }
    vdb_index *index;
    int rc = vdb_open(&index, path, recover ? VDB_OPEN_RECOVER : VDB_OPEN_DEFAULT);
    if (rc != VDB_OK) {
        cli_file_error("info", rc, "cannot open index", path);
        return CLI_EXIT_FAIL;
    }
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    rc = vdb_get_config(index, &cfg);
    if (rc != VDB_OK) {
        cli_lib_error("info", rc, "reading the configuration of '%s'", path);
        vdb_close(index);
        return CLI_EXIT_FAIL;
    }
    struct stat st;
    long long size = stat(path, &st) == 0 ? (long long)st.st_size : -1;

    printf("path             %s\n", path);
    printf("live             %llu\n", (unsigned long long)vdb_count(index));
    printf("deleted          %llu\n", (unsigned long long)vdb_deleted(index));
    printf("dim              %u\n", vdb_dim(index));
    printf("metric           %s\n", cli_metric_name(vdb_metric(index)));
    printf("m                %u\n", cfg.m);
    printf("ef_construction  %u\n", cfg.ef_construction);
    printf("ef_search        %u\n", cfg.ef_search);
    const char *trained = vdb_coded(index) ? "trained" : "not trained";
    if (cfg.codes == VDB_CODES_NONE)
        printf("codes            none\n");
    else if (cfg.codes == VDB_CODES_PQ)
        printf("codes            pq (%s, %u bytes a vector)\n", trained, cfg.code_bytes);
    else
        printf("codes            %s (%s)\n", cli_codes_name(cfg.codes), trained);
    printf("rerank           %u%s\n", cfg.rerank,
           cfg.codes == VDB_CODES_NONE ? " (unused without codes)"
           : cfg.rerank == 0           ? " (all ef candidates)"
                                       : "");
    print_disk(path, &cfg, recover);
    if (size >= 0)
        printf("file size        %lld bytes (%.1f MiB)\n", size, (double)size / (1024.0 * 1024.0));
    /* The journal is named after the file, not a symlink to it (docs/format.md, "Journal"). */
    char *file = lstat(path, &st) == 0 && S_ISLNK(st.st_mode) ? realpath(path, NULL) : strdup(path);
    char *journal = file ? malloc(strlen(file) + sizeof "-journal") : NULL;
    if (journal) {
        sprintf(journal, "%s-journal", file);
        if (stat(journal, &st) == 0)
            printf("journal          %lld bytes (%s)\n", (long long)st.st_size, journal);
        else
            printf("journal          none\n");
        free(journal);
    }
    free(file);
    printf("library version  %s\n", vdb_version_string());
    vdb_close(index);
    return CLI_EXIT_OK;
}
