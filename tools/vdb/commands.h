/*
 * The tool's commands. Each takes its own argv (argv[0] is the command's name)
 * and returns the process exit code (see cli_args.h).
 */
#ifndef VDB_CLI_COMMANDS_H
#define VDB_CLI_COMMANDS_H

int cmd_gen(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_add(int argc, char **argv);
int cmd_upsert(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif
