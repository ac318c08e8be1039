/*
 * Error codes' fixed texts and the per-thread detail message.
 */
#include "util/error.h"

#include "vdb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { MESSAGE_CAPACITY = 512 };

static _Thread_local char last_message[MESSAGE_CAPACITY] = "no error";

static void format_message(const char *fmt, va_list args) { vsnprintf(last_message, sizeof last_message, fmt, args); }

int vdb_fail(int code, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    format_message(fmt, args);
    va_end(args);
    return code;
}

int vdb_fail_errno(const char *fmt, ...)
{
    int saved_errno = errno;
    va_list args;
    va_start(args, fmt);
    format_message(fmt, args);
    va_end(args);
    size_t used = strlen(last_message);
    snprintf(last_message + used, sizeof last_message - used, ": %s", strerror(saved_errno));
    /* A full disk is told apart: the caller may free space and go on, where a refused write needs a person. */
    return saved_errno == ENOSPC || saved_errno == EDQUOT || saved_errno == EFBIG ? VDB_ENOSPC : VDB_EIO;
}

const char *vdb_last_error(void) { return last_message; }

const char *vdb_strerror(int code)
{
    switch (code) {
    case VDB_OK: return "success";
    case VDB_EINVAL: return "invalid argument";
    case VDB_EDIM: return "dimension mismatch";
    case VDB_ENOMEM: return "out of memory";
    case VDB_EIO: return "input/output error";
    case VDB_EFORMAT: return "not a valid file of this kind, truncated or corrupt";
    case VDB_EVERSION: return "unsupported file format version";
    case VDB_EREADONLY: return "index is read-only";
    case VDB_EEXIST: return "id already in the index";
    case VDB_ERANGE: return "out of range";
    case VDB_ENOTFOUND: return "id not in the index";
    case VDB_EBUSY: return "index is open for writing elsewhere";
    case VDB_ENOSPC: return "no space left: the disk or a quota is full";
    case VDB_ECANCELED: return "canceled by the progress callback";
    default: return "unknown error code";
    }
}
