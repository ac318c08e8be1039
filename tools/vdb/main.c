/*
 * `vdb`: the command-line face of libvdb. This file only dispatches to the
 * commands; each lives in its own cmd_<name>.c.
 */
#include "cli_args.h"
#include "commands.h"

#include "vdb.h"

#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command COMMANDS[] = {
    {"gen", cmd_gen, "write a random float32 data set (raw, .fvecs or .npy)"},
    {"build", cmd_build, "build an index over rows of a vector file and save it"},
    {"add", cmd_add, "add the rows of a vector file to an index file"},
    {"upsert", cmd_upsert, "add or replace vectors by id in an index file"},
    {"delete", cmd_delete, "delete vectors by id from an index file"},
    {"search", cmd_search, "k nearest neighbours of queries from a file or stdin, optionally filtered"},
    {"info", cmd_info, "what an index file holds"},
    {"verify", cmd_verify, "check an index file completely"},
    {"bench", cmd_bench, "recall against brute force, QPS, latency, peak RSS"},
};
enum { N_COMMANDS = sizeof COMMANDS / sizeof COMMANDS[0] };

static void usage(FILE *out)
{
    fprintf(out, "usage: vdb <command> [options]   (libvdb %s)\n\ncommands:\n", vdb_version_string());
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-8s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out, "\n'vdb <command> --help' describes a command's options.\n"
                 "Exit status: 0 success, 1 failure, 2 bad command line.\n");
}

static const command *find_command(const char *name)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("vdb %s\n", vdb_version_string());
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return CLI_EXIT_OK;
        }
        const command *cmd = find_command(argv[2]);
        if (!cmd) {
            fprintf(stderr, "vdb: unknown command '%s'\n", argv[2]);
            return CLI_EXIT_USAGE;
        }
        char *help_argv[] = {argv[2], "--help", NULL};
        return cmd->run(2, help_argv);
    }
    const command *cmd = find_command(name);
    if (!cmd) {
        fprintf(stderr, "vdb: unknown command '%s'\n", name);
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    return cmd->run(argc - 1, argv + 1);
}
