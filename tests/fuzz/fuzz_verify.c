/*
 * libFuzzer target for vdb_verify, the check of every byte of an index file.
 * Each input is verified as it is, which exercises the checksums, and again
 * with its checksums made right (index_checksums.h), which exercises the
 * padding, section and link checks behind them.
 */
#include "fuzz_input.h"
#include "index_checksums.h"

#include <vdb.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *input_path;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    input_path = fuzz_input_path("input.vdb");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input_write(data, size);
    (void)vdb_verify(input_path);

    uint8_t *bytes = malloc(size ? size : 1);
    if (!bytes)
        abort();
    if (size)
        memcpy(bytes, data, size);
    fuzz_fix_checksums(bytes, size);
    if (size && memcmp(bytes, data, size) != 0) {
        fuzz_input_write(bytes, size);
        (void)vdb_verify(input_path);
    }
    free(bytes);
    return 0;
}
