/*
 * SWIG interface to libvdb (include/vdb.h), for the languages SWIG serves.
 *
 * Two layers:
 *  - The raw C API, declared by %include "vdb.h" itself (so it cannot drift
 *    from the header): every enum constant, struct vdb_config and every
 *    vdb_* function, with C semantics (int return codes, pointers). The
 *    helpers below give any SWIG language the buffers it needs for it:
 *    carrays.i classes vdb_floats / vdb_ids / vdb_counts for float, uint64_t
 *    and uint32_t arrays, and cpointer.i boxes vdb_index_box / vdb_vectors_box
 *    for the `**out` parameters of the constructors.
 *  - An object layer, class Index: created, opened or mapped in one call,
 *    errors raised as the language's exceptions, closed on close() or when
 *    the object is collected, and safe after close() (a closed Index raises,
 *    it never passes a freed handle to C). Its buffer parameters take the
 *    language's own lists where this file has typemaps for that language
 *    (Tcl, Perl 5 and Python 3 here): add(list of floats, list of ids),
 *    search(list of floats, k, ef, filter) -> [ids, distances],
 *    delete(list of ids), upsert(floats, ids), get(id) -> list of floats,
 *    commit() (vdb_commit), set_disk_cache(bytes) (vdb_set_disk_cache),
 *    set_build_memory(bytes) (vdb_set_build_memory).
 *  - Class Filter: an allow-list of ids (vdb_filter_create) that any number
 *    of searches may share; in Tcl a search also takes the list itself.
 *    Predicate filters (vdb_filter_from_fn) are not offered: a script's
 *    function cannot be a C callback here (batch searches would call it from
 *    worker threads). Filter by an allow-list instead.
 *
 * Errors raised by the object layer read "VDB_EDIM (-2): <vdb_last_error()>",
 * the enum name first, then the code, then the library's detail message. In
 * Tcl the errorCode is also set to {VDB VDB_EDIM -2}.
 *
 * Ids are uint64_t. Tcl and Python see them as (arbitrary-size) integers,
 * Perl as UVs; the raw layer uses vdb_ids arrays.
 */
%module vdb

%{
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdb.h"
%}

%include "stdint.i"
%include "exception.i"
%include "carrays.i"
%include "cpointer.i"

/* ---------------------------------------------------------------- raw API */

#define VDB_API
/* C keeps enum tags apart from function names; SWIG does not. The enum
 * vdb_metric's constants are what scripts use, so its tag gets another name
 * and the function vdb_metric() keeps its own. */
%rename("%s", %$isfunction) vdb_metric;
%rename(vdb_metric_kind, %$isenum) vdb_metric;
%include "vdb.h"

/* Arrays for the raw calls: vdb_floats(n), vdb_ids(n), vdb_counts(n) with
 * getitem/setitem and cast() to pass them where vdb.h takes a pointer. */
%array_class(float, vdb_floats);
%array_class(uint64_t, vdb_ids);
%array_class(uint32_t, vdb_counts);
/* %array_class registers the conversion to TYPE * under the typedef's name,
 * which SWIG does not match with the resolved type the vdb_* calls take. */
#if defined(SWIGWORDSIZE64)
%types(vdb_ids = unsigned long int);
#else
%types(vdb_ids = unsigned long long);
#endif
%types(vdb_counts = unsigned int);

/* Boxes for the constructors' out-parameter: new_vdb_index_box(),
 * vdb_create(box, cfg), vdb_index_box_value(box), delete_vdb_index_box(box). */
%pointer_functions(vdb_index *, vdb_index_box);
%pointer_functions(vdb_vectors *, vdb_vectors_box);
%pointer_functions(vdb_filter *, vdb_filter_box);

/* ---------------------------------------------------------- object layer */

%{
/* The object layer's handle. `handle` is NULL once closed, so every method
 * can refuse a closed index instead of passing a freed pointer to C. */
typedef struct vdb_swig_index {
    vdb_index *handle;
} vdb_swig_index;

/* A Filter: an allow-list, NULL once closed. */
typedef struct vdb_swig_filter {
    vdb_filter *handle;
} vdb_swig_filter;

/* The code of this thread's last failure in the object layer, read by the
 * %exception blocks below right after the call. */
static _Thread_local int vdb_swig_code = VDB_OK;
static _Thread_local char vdb_swig_msg[1024];

/* Kept by hand, since C has no table of the enum's names; test.tcl checks,
 * through vdb::status_name, that it names every VDB_E* constant of vdb.h. */
static const char *vdb_swig_code_name(int code) {
    switch (code) {
    case VDB_OK: return "VDB_OK";
    case VDB_EINVAL: return "VDB_EINVAL";
    case VDB_EDIM: return "VDB_EDIM";
    case VDB_ENOMEM: return "VDB_ENOMEM";
    case VDB_EIO: return "VDB_EIO";
    case VDB_EFORMAT: return "VDB_EFORMAT";
    case VDB_EVERSION: return "VDB_EVERSION";
    case VDB_EREADONLY: return "VDB_EREADONLY";
    case VDB_EEXIST: return "VDB_EEXIST";
    case VDB_ERANGE: return "VDB_ERANGE";
    case VDB_ENOTFOUND: return "VDB_ENOTFOUND";
    case VDB_EBUSY: return "VDB_EBUSY";
    case VDB_ENOSPC: return "VDB_ENOSPC";
    case VDB_ECANCELED: return "VDB_ECANCELED";
    default: return "VDB_EUNKNOWN";
    }
}

/* SWIG's portable exception kinds, chosen per code. */
static int vdb_swig_kind(int code) {
    switch (code) {
    case VDB_EINVAL: case VDB_EDIM: case VDB_EEXIST: return SWIG_ValueError;
    case VDB_ERANGE: case VDB_ENOTFOUND: return SWIG_IndexError;
    case VDB_ENOMEM: return SWIG_MemoryError;
    case VDB_EIO: case VDB_EFORMAT: case VDB_EVERSION: case VDB_EBUSY: case VDB_ENOSPC: return SWIG_IOError;
    default: return SWIG_RuntimeError;
    }
}

/* Record a failure; `detail` NULL means "take vdb_last_error()". */
static void vdb_swig_fail(int code, const char *detail) {
    vdb_swig_code = code;
    snprintf(vdb_swig_msg, sizeof vdb_swig_msg, "%s (%d): %s", vdb_swig_code_name(code), code,
             detail ? detail : vdb_last_error());
}

static int vdb_swig_check(int rc) {
    if (rc < 0) vdb_swig_fail(rc, NULL);
    else vdb_swig_code = VDB_OK;
    return rc;
}

/* The live handle, or NULL after recording "closed". */
static vdb_index *vdb_swig_live(const vdb_swig_index *self) {
    if (!self->handle) {
        vdb_swig_fail(VDB_EINVAL, "the index is closed");
        return NULL;
    }
    return self->handle;
}

static vdb_swig_index *vdb_swig_wrap(int rc, vdb_index *handle) {
    vdb_swig_index *self;
    if (vdb_swig_check(rc) < 0) return NULL;
    self = malloc(sizeof *self);
    if (!self) {
        vdb_close(handle);
        vdb_swig_fail(VDB_ENOMEM, "out of memory");
        return NULL;
    }
    self->handle = handle;
    return self;
}

static void vdb_swig_config(vdb_config *cfg, uint32_t dim, int32_t metric, uint32_t m, uint32_t ef_construction,
                            uint32_t ef_search, uint32_t threads, uint64_t seed, int32_t codes, uint32_t code_bytes,
                            uint32_t rerank) {
    vdb_config_init(cfg, VDB_CONFIG_VERSION);
    cfg->dim = dim;
    cfg->metric = metric;
    cfg->m = m;
    cfg->ef_construction = ef_construction;
    cfg->ef_search = ef_search;
    cfg->threads = threads;
    cfg->seed = seed;
    cfg->codes = codes;
    cfg->code_bytes = code_bytes;
    cfg->rerank = rerank;
}
%}

/* Every object-layer call reports failure through vdb_swig_code. */
%exception {
    vdb_swig_code = VDB_OK;
    $action
    if (vdb_swig_code < 0) {
%#ifdef SWIGTCL
        char code_text[16];
        snprintf(code_text, sizeof code_text, "%d", vdb_swig_code);
        SWIG_Error(vdb_swig_kind(vdb_swig_code), vdb_swig_msg);
        Tcl_SetErrorCode(interp, "VDB", vdb_swig_code_name(vdb_swig_code), code_text, NULL);
        SWIG_fail;
%#else
        SWIG_exception(vdb_swig_kind(vdb_swig_code), vdb_swig_msg);
%#endif
    }
}

/* ----- typemaps: the language's lists in, lists out (object layer only). */

/* (const float *VECTORS, size_t NFLOATS): a flat list of numbers. */
/* (const uint64_t *IDS, size_t NIDS): a list of ids, or an empty list for none. */
/* (uint32_t K, uint64_t *OUT_IDS, float *OUT_DISTANCES, uint32_t *OUT_FOUND):
 * k from the script; the method's result is the pair [ids, distances] with
 * `found` entries each. */

%typemap(freearg) (const float *VECTORS, size_t NFLOATS) "free($1);";
%typemap(freearg) (const uint64_t *IDS, size_t NIDS) "free($1);";
%typemap(in, numinputs=1) (uint32_t K, uint64_t *OUT_IDS, float *OUT_DISTANCES, uint32_t *OUT_FOUND)
    (uint32_t found_slot = 0) {
    long long k_in = 0;
%#if defined(SWIGTCL)
    Tcl_WideInt wide;
    if (Tcl_GetWideIntFromObj(interp, $input, &wide) != TCL_OK) SWIG_fail;
    k_in = (long long)wide;
%#elif defined(SWIGPERL)
    if (!SvIOK($input) && !looks_like_number($input)) SWIG_exception_fail(SWIG_TypeError, "k must be an integer");
    k_in = (long long)SvIV($input);
%#elif defined(SWIGPYTHON)
    k_in = PyLong_AsLongLong($input);
    if (k_in == -1 && PyErr_Occurred()) SWIG_fail;
%#endif
    /* k = 0 is passed on so that the library reports it; k beyond 2^32-1 or negative is refused here. */
    if (k_in < 0 || k_in > (long long)UINT32_MAX) SWIG_exception_fail(SWIG_ValueError, "VDB_EINVAL (-1): k out of range");
    $1 = (uint32_t)k_in;
    $2 = calloc($1 ? $1 : 1, sizeof(uint64_t));
    $3 = calloc($1 ? $1 : 1, sizeof(float));
    $4 = &found_slot;
    if (!$2 || !$3) SWIG_exception_fail(SWIG_MemoryError, "VDB_ENOMEM (-3): out of memory");
}
%typemap(freearg) (uint32_t K, uint64_t *OUT_IDS, float *OUT_DISTANCES, uint32_t *OUT_FOUND) {
    free($2);
    free($3);
}
/* (float **OUT_VECTOR, uint32_t *OUT_LEN): a vector the method allocates
 * (only when it succeeds); the method's result is it as a list of numbers.
 * Each language's argout frees it: SWIG emits no freearg for an argument
 * the script does not pass. */
%typemap(in, numinputs=0) (float **OUT_VECTOR, uint32_t *OUT_LEN) (float *vector_slot = NULL, uint32_t length_slot = 0) {
    $1 = &vector_slot;
    $2 = &length_slot;
}

#if defined(SWIGTCL)
%{
#include <ctype.h>
#include <errno.h>
#if !defined(TCL_SIZE_MAX)
typedef int Tcl_Size; /* Tcl 8.6 */
#endif

/* A Tcl list of decimal ids (the full uint64_t range, which a Tcl wide int,
 * signed, cannot hold) into a malloc'ed array. TCL_OK; TCL_ERROR when obj is
 * no list (the interpreter holds the message); -1 for a bad id, -2 out of memory. */
static int vdb_swig_tcl_ids(Tcl_Interp *interp, Tcl_Obj *obj, uint64_t **out, size_t *n) {
    Tcl_Obj **items;
    Tcl_Size count, i;
    uint64_t *ids;
    if (Tcl_ListObjGetElements(interp, obj, &count, &items) != TCL_OK) return TCL_ERROR;
    ids = malloc((count ? count : 1) * sizeof *ids);
    if (!ids) return -2;
    for (i = 0; i < count; i++) {
        const char *text = Tcl_GetString(items[i]);
        char *end = NULL;
        errno = 0;
        ids[i] = strtoull(text, &end, 10);
        if (errno || end == text || *end != '\0' || !isdigit((unsigned char)text[0])) {
            free(ids);
            return -1;
        }
    }
    *out = ids;
    *n = (size_t)count;
    return TCL_OK;
}
%}
%typemap(in) (const float *VECTORS, size_t NFLOATS) {
    Tcl_Obj **items;
    Tcl_Size count, i;
    if (Tcl_ListObjGetElements(interp, $input, &count, &items) != TCL_OK) SWIG_fail;
    $1 = malloc((count ? count : 1) * sizeof(float));
    if (!$1) SWIG_exception_fail(SWIG_MemoryError, "VDB_ENOMEM (-3): out of memory");
    for (i = 0; i < count; i++) {
        double value;
        if (Tcl_GetDoubleFromObj(interp, items[i], &value) != TCL_OK) SWIG_fail;
        $1[i] = (float)value;
    }
    $2 = (size_t)count;
}
%typemap(in) (const uint64_t *IDS, size_t NIDS) {
    uint64_t *ids = NULL;
    size_t count = 0;
    int rc = vdb_swig_tcl_ids(interp, $input, &ids, &count);
    if (rc == TCL_ERROR) SWIG_fail;
    $1 = ids;
    if (rc < 0) SWIG_exception_fail(rc == -2 ? SWIG_MemoryError : SWIG_ValueError, rc == -2 ? "VDB_ENOMEM (-3): out of memory"
                                                                                  : "VDB_EINVAL (-1): an id is not an integer in 0..2^64-2");
    $2 = count;
}
/* One id, in the full uint64_t range (a Tcl wide int is signed). */
%typemap(in) uint64_t ID {
    const char *text = Tcl_GetString($input);
    char *end = NULL;
    errno = 0;
    $1 = strtoull(text, &end, 10);
    if (errno || end == text || *end != '\0' || !isdigit((unsigned char)text[0]))
        SWIG_exception_fail(SWIG_ValueError, "VDB_EINVAL (-1): an id is not an integer in 0..2^64-2");
}
/* A search's filter: a Filter object, NULL for none, or a list of ids (an
 * allow-list for this one search; an empty list allows nothing). */
%typemap(in) vdb_swig_filter *FILTER (vdb_swig_filter listed, int temporary = 0) {
    Tcl_Obj **items;
    Tcl_Size count;
    /* An object's name or a pointer never starts with a digit; a list of ids does. */
    int is_list = Tcl_ListObjGetElements(NULL, $input, &count, &items) == TCL_OK &&
                  (count == 0 || isdigit((unsigned char)Tcl_GetString(items[0])[0]));
    if (is_list) {
        uint64_t *ids = NULL;
        size_t n = 0;
        int rc = vdb_swig_tcl_ids(interp, $input, &ids, &n);
        if (rc == TCL_ERROR) SWIG_fail;
        if (rc < 0) SWIG_exception_fail(rc == -2 ? SWIG_MemoryError : SWIG_ValueError, rc == -2 ? "VDB_ENOMEM (-3): out of memory"
                                                                                      : "VDB_EINVAL (-1): a filter id is not an integer in 0..2^64-2");
        rc = vdb_filter_create(&listed.handle, ids, n);
        free(ids);
        if (rc != VDB_OK) {
            char text[600];
            snprintf(text, sizeof text, "%s (%d): %s", vdb_swig_code_name(rc), rc, vdb_last_error());
            SWIG_exception_fail(vdb_swig_kind(rc), text);
        }
        temporary = 1;
        $1 = &listed;
    } else {
        void *pointer = NULL;
        if (!SWIG_IsOK(SWIG_ConvertPtr($input, &pointer, $descriptor(vdb_swig_filter *), 0)))
            SWIG_exception_fail(SWIG_TypeError, "filter must be a vdb::Filter, NULL or a list of ids");
        $1 = (vdb_swig_filter *)pointer;
    }
}
%typemap(freearg) vdb_swig_filter *FILTER {
    if (temporary$argnum) vdb_filter_close(listed$argnum.handle);
}
%typemap(argout) (float **OUT_VECTOR, uint32_t *OUT_LEN) {
    if (vdb_swig_code == VDB_OK && *$1) {
        Tcl_Obj *list = Tcl_NewListObj(0, NULL);
        uint32_t i;
        for (i = 0; i < *$2; i++) Tcl_ListObjAppendElement(interp, list, Tcl_NewDoubleObj((double)(*$1)[i]));
        Tcl_SetObjResult(interp, list);
    }
    free(*$1);
    *$1 = NULL;
}
%typemap(argout) (uint32_t K, uint64_t *OUT_IDS, float *OUT_DISTANCES, uint32_t *OUT_FOUND) {
    if (vdb_swig_code == VDB_OK) {
        Tcl_Obj *ids = Tcl_NewListObj(0, NULL), *distances = Tcl_NewListObj(0, NULL), *pair = Tcl_NewListObj(0, NULL);
        uint32_t i;
        for (i = 0; i < *$4; i++) {
            char text[24];
            snprintf(text, sizeof text, "%llu", (unsigned long long)$2[i]);
            Tcl_ListObjAppendElement(interp, ids, Tcl_NewStringObj(text, -1));
            Tcl_ListObjAppendElement(interp, distances, Tcl_NewDoubleObj((double)$3[i]));
        }
        Tcl_ListObjAppendElement(interp, pair, ids);
        Tcl_ListObjAppendElement(interp, pair, distances);
        Tcl_SetObjResult(interp, pair);
    }
}

#elif defined(SWIGPERL)
%typemap(in) (const float *VECTORS, size_t NFLOATS) {
    AV *av;
    SSize_t count, i;
    if (!SvROK($input) || SvTYPE(SvRV($input)) != SVt_PVAV) SWIG_exception_fail(SWIG_TypeError, "expected an array reference of numbers");
    av = (AV *)SvRV($input);
    count = av_len(av) + 1;
    $1 = malloc((count ? count : 1) * sizeof(float));
    if (!$1) SWIG_exception_fail(SWIG_MemoryError, "VDB_ENOMEM (-3): out of memory");
    for (i = 0; i < count; i++) {
        SV **item = av_fetch(av, i, 0);
        $1[i] = item ? (float)SvNV(*item) : NAN;
    }
    $2 = (size_t)count;
}
%typemap(in) (const uint64_t *IDS, size_t NIDS) {
    AV *av;
    SSize_t count, i;
    if (!SvOK($input)) { $1 = NULL; $2 = 0; }
    else {
        if (!SvROK($input) || SvTYPE(SvRV($input)) != SVt_PVAV) SWIG_exception_fail(SWIG_TypeError, "expected an array reference of ids");
        av = (AV *)SvRV($input);
        count = av_len(av) + 1;
        $1 = malloc((count ? count : 1) * sizeof(uint64_t));
        if (!$1) SWIG_exception_fail(SWIG_MemoryError, "VDB_ENOMEM (-3): out of memory");
        for (i = 0; i < count; i++) {
            SV **item = av_fetch(av, i, 0);
            $1[i] = item ? (uint64_t)SvUV(*item) : UINT64_MAX;
        }
        $2 = (size_t)count;
    }
}
%typemap(argout) (uint32_t K, uint64_t *OUT_IDS, float *OUT_DISTANCES, uint32_t *OUT_FOUND) {
    if (vdb_swig_code == VDB_OK) {
        AV *ids = newAV(), *distances = newAV();
        uint32_t i;
        for (i = 0; i < *$4; i++) {
            av_push(ids, newSVuv((UV)$2[i]));
            av_push(distances, newSVnv((NV)$3[i]));
        }
        if (argvi >= items) EXTEND(sp, argvi + 2);
        ST(argvi) = sv_2mortal(newRV_noinc((SV *)ids)); argvi++;
        ST(argvi) = sv_2mortal(newRV_noinc((SV *)distances)); argvi++;
    }
}
%typemap(argout) (float **OUT_VECTOR, uint32_t *OUT_LEN) {
    if (vdb_swig_code == VDB_OK && *$1) {
        AV *vector = newAV();
        uint32_t i;
        for (i = 0; i < *$2; i++) av_push(vector, newSVnv((NV)(*$1)[i]));
        if (argvi >= items) EXTEND(sp, argvi + 1);
        ST(argvi) = sv_2mortal(newRV_noinc((SV *)vector)); argvi++;
    }
    free(*$1);
    *$1 = NULL;
}

#elif defined(SWIGPYTHON)
%typemap(in) (const float *VECTORS, size_t NFLOATS) {
    PyObject *seq = PySequence_Fast($input, "expected a sequence of numbers");
    Py_ssize_t count, i;
    if (!seq) SWIG_fail;
    count = PySequence_Fast_GET_SIZE(seq);
    $1 = malloc((count ? count : 1) * sizeof(float));
    if (!$1) { Py_DECREF(seq); SWIG_exception_fail(SWIG_MemoryError, "VDB_ENOMEM (-3): out of memory"); }
    for (i = 0; i < count; i++) {
        double value = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
        if (value == -1.0 && PyErr_Occurred()) { Py_DECREF(seq); SWIG_fail; }
        $1[i] = (float)value;
    }
    Py_DECREF(seq);
    $2 = (size_t)count;
}
%typemap(in) (const uint64_t *IDS, size_t NIDS) {
    if ($input == Py_None) { $1 = NULL; $2 = 0; }
    else {
        PyObject *seq = PySequence_Fast($input, "expected a sequence of ids");
        Py_ssize_t count, i;
        if (!seq) SWIG_fail;
        count = PySequence_Fast_GET_SIZE(seq);
        $1 = malloc((count ? count : 1) * sizeof(uint64_t));
        if (!$1) { Py_DECREF(seq); SWIG_exception_fail(SWIG_MemoryError, "VDB_ENOMEM (-3): out of memory"); }
        for (i = 0; i < count; i++) {
            $1[i] = (uint64_t)PyLong_AsUnsignedLongLong(PySequence_Fast_GET_ITEM(seq, i));
            if (PyErr_Occurred()) { Py_DECREF(seq); SWIG_fail; }
        }
        Py_DECREF(seq);
        $2 = (size_t)count;
    }
}
%typemap(argout) (uint32_t K, uint64_t *OUT_IDS, float *OUT_DISTANCES, uint32_t *OUT_FOUND) {
    if (vdb_swig_code == VDB_OK) {
        PyObject *ids = PyList_New(*$4), *distances = PyList_New(*$4);
        uint32_t i;
        for (i = 0; i < *$4; i++) {
            PyList_SET_ITEM(ids, i, PyLong_FromUnsignedLongLong($2[i]));
            PyList_SET_ITEM(distances, i, PyFloat_FromDouble($3[i]));
        }
        Py_XDECREF($result);
        $result = Py_BuildValue("(NN)", ids, distances);
    }
}
%typemap(argout) (float **OUT_VECTOR, uint32_t *OUT_LEN) {
    if (vdb_swig_code == VDB_OK && *$1) {
        PyObject *vector = PyList_New(*$2);
        uint32_t i;
        for (i = 0; i < *$2; i++) PyList_SET_ITEM(vector, i, PyFloat_FromDouble((*$1)[i]));
        Py_XDECREF($result);
        $result = vector;
    }
    free(*$1);
    *$1 = NULL;
}
#endif

%rename(Index) vdb_swig_index;
%rename(delete) vdb_swig_index::delete_ids;
%nodefaultctor vdb_swig_index;
%newobject vdb_swig_index::open;
%newobject vdb_swig_index::map_vectors;

typedef struct vdb_swig_index {} vdb_swig_index;

%extend vdb_swig_index {
    /* Index(dim, metric, m, ef_construction, ef_search, threads, seed, codes,
     * code_bytes, rerank): an empty index that owns its vectors
     * (vdb_create). codes: VDB_CODES_NONE, VDB_CODES_INT8 or VDB_CODES_PQ
     * (see "Codes" in vdb.h); code_bytes: PQ's bytes a vector (0 = dim / 8);
     * rerank 0 = all ef candidates. */
    vdb_swig_index(uint32_t dim, int32_t metric = VDB_METRIC_L2, uint32_t m = 16, uint32_t ef_construction = 200,
                   uint32_t ef_search = 64, uint32_t threads = 0, uint64_t seed = 42,
                   int32_t codes = VDB_CODES_NONE, uint32_t code_bytes = 0, uint32_t rerank = 0) {
        vdb_config cfg;
        vdb_index *handle = NULL;
        vdb_swig_config(&cfg, dim, metric, m, ef_construction, ef_search, threads, seed, codes, code_bytes, rerank);
        int rc = vdb_create(&handle, &cfg);
        return vdb_swig_wrap(rc, handle);
    }

    /* Index.open(path, flags): a saved index (vdb_open), with the committed
     * changes of its journal, PATH-journal, applied. flags: VDB_OPEN_*
     * or-ed; read-only without VDB_OPEN_WRITABLE (one writable open of a
     * file at a time: another raises VDB_EBUSY); VDB_OPEN_RECOVER applies
     * the intact commits of a damaged journal instead of raising VDB_EFORMAT;
     * VDB_OPEN_DISK searches an index saved with codes from the disk (the
     * same results; read-only, see set_disk_cache). */
    static vdb_swig_index *open(const char *path, uint32_t flags = VDB_OPEN_DEFAULT) {
        vdb_index *handle = NULL;
        int rc = vdb_open(&handle, path, flags);
        return vdb_swig_wrap(rc, handle);
    }

    /* Index.map_vectors(path, dim, ...): a graph over a mapped vector file,
     * filled by build() (vdb_map_vectors). dim 0 reads it from the file;
     * the other arguments are the constructor's. */
    static vdb_swig_index *map_vectors(const char *path, uint32_t dim = 0, int32_t metric = VDB_METRIC_L2,
                                       uint32_t m = 16, uint32_t ef_construction = 200, uint32_t ef_search = 64,
                                       uint32_t threads = 0, uint64_t seed = 42, int32_t codes = VDB_CODES_NONE,
                                       uint32_t code_bytes = 0, uint32_t rerank = 0) {
        vdb_config cfg;
        vdb_index *handle = NULL;
        vdb_swig_config(&cfg, dim, metric, m, ef_construction, ef_search, threads, seed, codes, code_bytes, rerank);
        int rc = vdb_map_vectors(&handle, path, &cfg);
        return vdb_swig_wrap(rc, handle);
    }

    ~vdb_swig_index() {
        vdb_close($self->handle);
        free($self);
    }

    /* Release the index now; later calls raise "the index is closed". */
    void close() {
        vdb_close($self->handle);
        $self->handle = NULL;
    }

    int closed() { return $self->handle == NULL; }

    /* add(vectors, ids): a flat list of count*dim numbers, and count ids or
     * an empty list for the next row numbers. */
    void add(const float *VECTORS, size_t NFLOATS, const uint64_t *IDS = NULL, size_t NIDS = 0) {
        vdb_index *h = vdb_swig_live($self);
        uint32_t dim;
        if (!h) return;
        dim = vdb_dim(h);
        if (NFLOATS % dim != 0) {
            char detail[160];
            snprintf(detail, sizeof detail, "dimension mismatch: %zu numbers are not whole rows of %u", NFLOATS, dim);
            vdb_swig_fail(VDB_EDIM, detail);
            return;
        }
        if (NIDS != 0 && NIDS != NFLOATS / dim) {
            char detail[160];
            snprintf(detail, sizeof detail, "%zu ids given for %zu vectors", NIDS, NFLOATS / dim);
            vdb_swig_fail(VDB_EINVAL, detail);
            return;
        }
        vdb_swig_check(vdb_add(h, VECTORS, NFLOATS / dim, NIDS ? IDS : NULL));
    }

    /* build(first, count): link rows of a mapped vector file. */
    void build(uint64_t first, uint64_t count) {
        vdb_index *h = vdb_swig_live($self);
        if (h) vdb_swig_check(vdb_build(h, first, count));
    }

    /* set_build_memory(bytes): bound the memory of the next first build,
     * which builds by partitions when its rows and graph do not fit; 0 for
     * no bound (vdb_set_build_memory). */
    void set_build_memory(uint64_t bytes) {
        vdb_index *h = vdb_swig_live($self);
        if (h) vdb_swig_check(vdb_set_build_memory(h, bytes));
    }

    /* search(query, k, ef, filter) -> [ids, distances], each with `found`
     * entries. filter: NULL (none), a Filter, or (Tcl) a list of ids; only
     * the ids it allows are returned (vdb_search_filtered). */
    void search(const float *VECTORS, size_t NFLOATS, uint32_t K, uint64_t *OUT_IDS, float *OUT_DISTANCES,
                uint32_t *OUT_FOUND, uint32_t ef = 0, vdb_swig_filter *FILTER = NULL) {
        vdb_index *h = vdb_swig_live($self);
        if (!h) return;
        if (NFLOATS != vdb_dim(h)) {
            char detail[160];
            snprintf(detail, sizeof detail, "dimension mismatch: index has %u, query has %zu", vdb_dim(h), NFLOATS);
            vdb_swig_fail(VDB_EDIM, detail);
            return;
        }
        if (FILTER && !FILTER->handle) {
            vdb_swig_fail(VDB_EINVAL, "the filter is closed");
            return;
        }
        vdb_swig_check(vdb_search_filtered(h, VECTORS, K, ef, FILTER ? FILTER->handle : NULL, OUT_IDS, OUT_DISTANCES,
                                           OUT_FOUND));
    }

    /* delete(ids): delete the vectors of a list of ids, all or nothing
     * (VDB_ENOTFOUND if one is absent or repeated; VDB_EREADONLY unless the
     * index was opened with VDB_OPEN_WRITABLE, made by new, or mapped). */
    void delete_ids(const uint64_t *IDS, size_t NIDS) {
        vdb_index *h = vdb_swig_live($self);
        if (h) vdb_swig_check(vdb_delete(h, IDS, NIDS));
    }

    /* upsert(vectors, ids): insert each row under its id, or replace the
     * vector of an id the index holds. One id per row, required. */
    void upsert(const float *VECTORS, size_t NFLOATS, const uint64_t *IDS, size_t NIDS) {
        vdb_index *h = vdb_swig_live($self);
        uint32_t dim;
        if (!h) return;
        dim = vdb_dim(h);
        if (NFLOATS % dim != 0) {
            char detail[160];
            snprintf(detail, sizeof detail, "dimension mismatch: %zu numbers are not whole rows of %u", NFLOATS, dim);
            vdb_swig_fail(VDB_EDIM, detail);
            return;
        }
        if (NIDS != NFLOATS / dim) {
            char detail[160];
            snprintf(detail, sizeof detail, "%zu ids given for %zu vectors (upsert needs one per vector)", NIDS,
                     NFLOATS / dim);
            vdb_swig_fail(VDB_EINVAL, detail);
            return;
        }
        vdb_swig_check(vdb_upsert(h, VECTORS, NFLOATS / dim, IDS));
    }

    /* get(id) -> the vector of id as a list of dim numbers (VDB_ENOTFOUND
     * for an id the index does not hold). */
    void get(uint64_t ID, float **OUT_VECTOR, uint32_t *OUT_LEN) {
        vdb_index *h = vdb_swig_live($self);
        float *vector;
        if (!h) return;
        vector = malloc(sizeof *vector * vdb_dim(h));
        if (!vector) {
            vdb_swig_fail(VDB_ENOMEM, "out of memory");
            return;
        }
        if (vdb_swig_check(vdb_get(h, ID, vector)) < 0) {
            free(vector);
            return;
        }
        *OUT_VECTOR = vector;
        *OUT_LEN = vdb_dim(h);
    }

    /* has(id) -> 1 when the index holds id, else 0. */
    int has(uint64_t ID) {
        vdb_index *h = vdb_swig_live($self);
        float *vector;
        int rc;
        if (!h) return 0;
        vector = malloc(sizeof *vector * vdb_dim(h));
        if (!vector) {
            vdb_swig_fail(VDB_ENOMEM, "out of memory");
            return 0;
        }
        rc = vdb_get(h, ID, vector);
        free(vector);
        if (rc == VDB_ENOTFOUND) return 0;
        return vdb_swig_check(rc) == VDB_OK;
    }

    /* save(path): atomic; to the file a writable index was opened from it
     * is a checkpoint (every change in the file, the journal emptied). */
    void save(const char *path) {
        vdb_index *h = vdb_swig_live($self);
        if (h) vdb_swig_check(vdb_save(h, path));
    }

    /* commit(): make the changes since the last commit durable in the
     * journal (vdb_commit); VDB_EREADONLY unless opened VDB_OPEN_WRITABLE,
     * VDB_EINVAL for an index with no file. Changes neither committed nor
     * saved are lost at close. */
    void commit() {
        vdb_index *h = vdb_swig_live($self);
        if (h) vdb_swig_check(vdb_commit(h));
    }

    void set_threads(uint32_t threads) {
        vdb_index *h = vdb_swig_live($self);
        if (h) vdb_swig_check(vdb_set_threads(h, threads));
    }

    /* set_disk_cache(bytes): keep up to bytes of node blocks of an index
     * opened with VDB_OPEN_DISK in memory, top graph levels first; 0 empties
     * the cache (vdb_set_disk_cache). VDB_EINVAL on any other index. */
    void set_disk_cache(uint64_t bytes) {
        vdb_index *h = vdb_swig_live($self);
        if (h) vdb_swig_check(vdb_set_disk_cache(h, bytes));
    }

    /* Vectors the index holds (deleted ones not counted). */
    uint64_t count() {
        vdb_index *h = vdb_swig_live($self);
        return h ? vdb_count(h) : 0;
    }

    /* Deleted vectors still in the index; the next save leaves them out. */
    uint64_t deleted() {
        vdb_index *h = vdb_swig_live($self);
        return h ? vdb_deleted(h) : 0;
    }

    uint32_t dim() {
        vdb_index *h = vdb_swig_live($self);
        return h ? vdb_dim(h) : 0;
    }

    int32_t metric() {
        vdb_index *h = vdb_swig_live($self);
        return h ? vdb_metric(h) : -1;
    }

    /* The raw handle, for the raw vdb_* calls; valid until close(). */
    vdb_index *handle() {
        return vdb_swig_live($self);
    }
}

%rename(Filter) vdb_swig_filter;
%nodefaultctor vdb_swig_filter;

typedef struct vdb_swig_filter {} vdb_swig_filter;

%extend vdb_swig_filter {
    /* Filter(ids): an allow-list of ids (copied) that any number of searches
     * may share (vdb_filter_create). Ids the index does not hold are
     * ignored; an empty list allows nothing. */
    vdb_swig_filter(const uint64_t *IDS, size_t NIDS) {
        vdb_swig_filter *self;
        vdb_filter *handle = NULL;
        if (vdb_swig_check(vdb_filter_create(&handle, IDS, NIDS)) < 0) return NULL;
        self = malloc(sizeof *self);
        if (!self) {
            vdb_filter_close(handle);
            vdb_swig_fail(VDB_ENOMEM, "out of memory");
            return NULL;
        }
        self->handle = handle;
        return self;
    }

    ~vdb_swig_filter() {
        vdb_filter_close($self->handle);
        free($self);
    }

    /* Release the filter now; a search given it later raises "the filter is closed". */
    void close() {
        vdb_filter_close($self->handle);
        $self->handle = NULL;
    }

    int closed() { return $self->handle == NULL; }

    /* The raw vdb_filter *, for the raw vdb_search*_filtered calls; valid until close(). */
    vdb_filter *handle() {
        if (!$self->handle) vdb_swig_fail(VDB_EINVAL, "the filter is closed");
        return $self->handle;
    }
}

/* status_name(code) -> "VDB_ENOTFOUND": the name of a return code. */
%rename(status_name) vdb_swig_status_name;
%inline %{
const char *vdb_swig_status_name(int code) {
    return vdb_swig_code_name(code);
}
%}

/* verify(path): raises on a damaged index, returns nothing otherwise. */
%rename(verify) vdb_swig_verify;
%inline %{
void vdb_swig_verify(const char *path) {
    vdb_swig_check(vdb_verify(path));
}
%}

/* No exception handling for the raw API: it keeps C's return codes. */
%exception;

/* The library loaded must be the version this module was compiled against
 * (VDB_VERSION_NUMBER, which scripts can also read, against
 * vdb_version_number()). Tcl refuses to load the module otherwise. */
%init %{
#ifdef SWIGTCL
    if (vdb_version_number() != VDB_VERSION_NUMBER) {
        char message[160];
        snprintf(message, sizeof message, "vdb: libvdb %s (%u) is loaded but this module was built for %d",
                 vdb_version_string(), vdb_version_number(), VDB_VERSION_NUMBER);
        Tcl_SetObjResult(interp, Tcl_NewStringObj(message, -1));
        return TCL_ERROR;
    }
#endif
%}
