/*
 * getrusage(RUSAGE_SELF).ru_maxrss. Note for readers of the number: pages of
 * mapped files that were touched count as resident, so for a mapped index it
 * includes the part of the file the searches paged in, not only the heap.
 */
#include "peak_rss.h"

#include <sys/resource.h>

uint64_t peak_rss_bytes(void)
{
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0 || usage.ru_maxrss < 0)
        return 0;
#if defined(__APPLE__)
    return (uint64_t)usage.ru_maxrss; /* bytes on macOS */
#else
    return (uint64_t)usage.ru_maxrss * 1024u; /* kilobytes on Linux and the BSDs */
#endif
}
