/*
 * The thread-local error detail behind vdb_last_error(). Every failing path
 * in the library returns through vdb_fail(), so a code never travels without
 * a message that names the problem.
 */
#ifndef VDB_ERROR_H
#define VDB_ERROR_H

/* Record a printf-style message for this thread and return code. */
int vdb_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * vdb_fail(VDB_EIO, ...) with ": <strerror(errno)>" appended; errno is read
 * first. VDB_ENOSPC instead when errno says the disk, a quota or the file
 * size limit is full (ENOSPC, EDQUOT, EFBIG).
 */
int vdb_fail_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
