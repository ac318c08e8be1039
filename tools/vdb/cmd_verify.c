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
    const char *pos[1];
    size_t npos = 0;
    int parsed = cli_parse("verify", argc, argv, NULL, 0, pos, 1, &npos);
    if (parsed == CLI_HELP) {
        cli_print_help(HELP);
        return CLI_EXIT_OK;
    }
    if (parsed != CLI_PARSED)
        return CLI_EXIT_USAGE;
    if (npos != 1) {
        cli_usage_error("verify", "missing INDEX");
        return CLI_EXIT_USAGE;
    }
    int rc = vdb_verify(pos[0]);
    if (rc != VDB_OK) {
        cli_file_error("verify", rc, "verifying", pos[0]);
        return CLI_EXIT_FAIL;
    }
    puts("ok");
    return CLI_EXIT_OK;
}
