/*
 * `vdb verify`: the full check of an index file (header, every section's
 * checksum, every link in range). Exit status 0 means the file is sound, so
 * scripts can test it directly.
 */
#include "cli_args.h"
#include "commands.h"

#include "vdb.h"

#include <stdio.h>

/* clang-format off: help text is laid out as it prints */
static const char HELP[] = "usage: vdb verify INDEX\n"
                           "\n"
                           "Check INDEX completely: header, checksums of every section, every graph\n"
                           "link in range. Reads the whole file. Prints \"ok\" and exits 0 when it is\n"
                           "sound; otherwise prints the problem on stderr and exits 1.\n"
                           "\n"
                           "  -h, --help  show this help\n";
/* clang-format on */

int cmd_verify(int argc, char **argv)
{
    const char *path;
    int exit_code = cli_parse_one_path("verify", argc, argv, HELP, "INDEX", &path);
    if (exit_code >= 0)
        return exit_code;
    int rc = vdb_verify(path);
    if (rc != VDB_OK) {
        cli_file_error("verify", rc, "verifying", path);
        return CLI_EXIT_FAIL;
    }
    puts("ok");
    return CLI_EXIT_OK;
}
