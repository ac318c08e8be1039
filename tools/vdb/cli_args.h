/*
 * Command-line parsing shared by every command: a small table-driven option
 * parser (long options only, "--name value" or "--name=value"), strict number
 * parsing, metric and codes names, and the one way errors are printed
 * ("vdb <cmd>: <message>" on stderr).
 */
#ifndef VDB_CLI_ARGS_H
#define VDB_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes: 1 for a failure of the work itself, 2 for a command line we cannot run. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

/* What cli_parse found. */
enum cli_parse_result { CLI_PARSED = 0, CLI_HELP = 1, CLI_BAD = 2 };

typedef enum cli_opt_kind {
    CLI_FLAG,   /* int *: set to 1 */
    CLI_U32,    /* uint32_t * */
    CLI_U64,    /* uint64_t * */
    CLI_DOUBLE, /* double *: finite */
    CLI_STRING  /* const char **: points into argv */
} cli_opt_kind;

typedef struct cli_opt {
    const char *name; /* without the leading "--" */
    cli_opt_kind kind;
    void *value;
    int seen; /* set by cli_parse, so a command can tell a default from a given value */
} cli_opt;

/*
 * Parse argv[1..argc) (argv[0] is the command's name). Options may come before,
 * between or after positionals; "--" ends the options; "-" is a positional
 * (stdin). On CLI_BAD the message and a hint to --help are already on stderr.
 */
int cli_parse(const char *cmd, int argc, char **argv, cli_opt *opts, size_t nopts, const char **positional,
              size_t max_positional, size_t *npositional);

/*
 * For commands that take one path and no options: parse, print help or a usage
 * error. Returns -1 with *path set when the command should go on, else the exit code.
 */
int cli_parse_one_path(const char *cmd, int argc, char **argv, const char *help, const char *name, const char **path);

/* A non-negative decimal integer that fits in `max`; 0 on success, -1 otherwise. */
int cli_parse_u64(const char *text, uint64_t max, uint64_t *out);

/* A comma-separated list of uint32 ("16,32,64"); *out is malloc'ed. 0 on success, -1 otherwise. */
int cli_parse_u32_list(const char *text, uint32_t **out, size_t *n);

/* "l2" | "ip" | "cosine" to an enum vdb_metric value; -1 when unknown. */
int cli_metric_from_name(const char *name);
/* The name of an enum vdb_metric value ("?" for others). */
const char *cli_metric_name(int metric);

/* "none" | "int8" | "pq" to an enum vdb_codes value; -1 when unknown. */
int cli_codes_from_name(const char *name);
/* The name of an enum vdb_codes value ("?" for others). */
const char *cli_codes_name(int codes);

#if defined(__GNUC__)
#define CLI_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CLI_PRINTF(fmt, args)
#endif

/* "vdb <cmd>: <message>" on stderr. */
void cli_error(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);
/* cli_error, then "Try 'vdb <cmd> --help'.": for command lines we cannot run. */
void cli_usage_error(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);
/*
 * "vdb <cmd>: <what>: <vdb_last_error()>" for a libvdb call that returned
 * `code`. A damaged journal's VDB_EFORMAT, whose message names
 * VDB_OPEN_RECOVER, gets "; run again with --recover ..." appended (here and
 * in cli_file_error).
 */
void cli_lib_error(const char *cmd, int code, const char *fmt, ...) CLI_PRINTF(3, 4);

/*
 * The same for a call about the file `path`: libvdb's messages usually name the
 * file already, so then only the message is printed; otherwise "<what> '<path>': <message>".
 */
void cli_file_error(const char *cmd, int code, const char *what, const char *path);

/* Print a command's help text to stdout. */
void cli_print_help(const char *text);

#endif
