/*
 * The named temporary, which saves use on file systems without O_TMPFILE
 * (here O_TMPFILE works, so vdb_save never takes this path): it has a name
 * while written, no cleaner removes it while its save holds it, and the
 * rename leaves the target and nothing else.
 */
#include "file/save_temp.h"
#include "testutil.h"
#include "vdb.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

Test(save_temp, a_named_temporary_survives_a_cleaner_while_held_and_becomes_the_target)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "index.vdb");
    vdb_save_temp temp;
    cr_assert_eq(vdb_save_temp_create_named(&temp, path), VDB_OK, "%s", vdb_last_error());
    cr_assert_not_null(temp.name);
    cr_expect_eq(tu_count_entries(dir), 1, "the named temporary is not in the folder");
    cr_assert_eq(write(temp.fd, "contents", 8), 8);

    vdb_save_temp_clean(path); /* a second save to the same target starting meanwhile */
    cr_expect_eq(access(temp.name, F_OK), 0, "a cleaner removed a temporary its save still holds");

    cr_assert_eq(vdb_save_temp_replace(&temp, path), 0);
    vdb_save_temp_close(&temp);
    struct stat status;
    cr_assert_eq(stat(path, &status), 0);
    cr_expect_eq(status.st_size, 8);
    cr_expect_eq(tu_count_entries(dir), 1, "something besides the target was left");
    free(path);
    tu_remove_dir(dir);
}

Test(save_temp, a_failed_save_removes_its_named_temporary)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "index.vdb");
    vdb_save_temp temp;
    cr_assert_eq(vdb_save_temp_create_named(&temp, path), VDB_OK, "%s", vdb_last_error());
    vdb_save_temp_close(&temp);
    cr_expect_eq(tu_count_entries(dir), 0);
    free(path);
    tu_remove_dir(dir);
}

Test(save_temp, a_named_temporary_is_never_more_readable_than_the_file_it_replaces)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "index.vdb");
    FILE *existing = fopen(path, "w");
    cr_assert_not_null(existing);
    fclose(existing);
    cr_assert_eq(chmod(path, 0600), 0);
    vdb_save_temp temp;
    cr_assert_eq(vdb_save_temp_create_named(&temp, path), VDB_OK, "%s", vdb_last_error());
    struct stat status;
    cr_assert_eq(stat(temp.name, &status), 0);
    cr_expect_eq(status.st_mode & 07777, 0600, "the temporary of a 0600 file is %04o", status.st_mode & 07777);
    vdb_save_temp_close(&temp);
    free(path);
    tu_remove_dir(dir);
}
