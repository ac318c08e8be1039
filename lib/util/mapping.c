/*
 * Whole-file read-only mappings. The pages stay in the page cache, not the
 * heap, which is what lets an index be larger than RAM.
 */
#include "util/mapping.h"

#include "util/error.h"
#include "vdb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int vdb_mapping_open(vdb_mapping *out, const char *path, const char *what)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vdb_fail_errno("cannot open %s '%s'", what, path);
    struct stat info;
    if (fstat(fd, &info) != 0) {
        int code = vdb_fail_errno("cannot stat %s '%s'", what, path);
        close(fd);
        return code;
    }
    if (S_ISDIR(info.st_mode)) {
        close(fd);
        errno = EISDIR;
        return vdb_fail_errno("cannot map %s '%s'", what, path);
    }
    if (!S_ISREG(info.st_mode)) {
        close(fd);
        return vdb_fail(VDB_EIO, "cannot map %s '%s': not a regular file", what, path);
    }
    if (info.st_size == 0) {
        close(fd);
        return vdb_fail(VDB_EFORMAT, "%s '%s' is empty", what, path);
    }
    if ((uint64_t)info.st_size > SIZE_MAX) {
        close(fd);
        return vdb_fail(VDB_ENOMEM, "%s '%s' is too large to map on this system", what, path);
    }
    void *bytes = mmap(NULL, (size_t)info.st_size, PROT_READ, MAP_SHARED, fd, 0);
    int map_errno = errno;
    close(fd); /* the mapping keeps the file alive */
    if (bytes == MAP_FAILED) {
        errno = map_errno;
        int code = vdb_fail_errno("cannot map %s '%s'", what, path);
        return map_errno == ENOMEM ? VDB_ENOMEM : code;
    }
    out->bytes = bytes;
    out->length = (size_t)info.st_size;
    return VDB_OK;
}

void vdb_mapping_close(vdb_mapping *mapping)
{
    if (mapping->bytes)
        munmap((void *)mapping->bytes, mapping->length);
    mapping->bytes = NULL;
    mapping->length = 0;
}

void vdb_mapping_advise(const vdb_mapping *mapping, size_t offset, size_t length, int advice)
{
    if (!mapping->bytes || length == 0 || offset >= mapping->length)
        return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t begin = offset & ~(page - 1);
    size_t end = offset + length < mapping->length ? offset + length : mapping->length;
    (void)madvise((void *)(mapping->bytes + begin), end - begin, advice);
}
