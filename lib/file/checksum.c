/*
 * CRC32C: reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF.
 */
#include "file/checksum.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

static uint32_t crc_table[256];

static void build_table(void)
{
    for (uint32_t byte = 0; byte < 256; byte++) {
        uint32_t crc = byte;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
        crc_table[byte] = crc;
    }
}

uint32_t vdb_crc32c_portable(uint32_t crc, const void *data, size_t length)
{
    static pthread_once_t table_once = PTHREAD_ONCE_INIT;
    pthread_once(&table_once, build_table);
    const unsigned char *bytes = data;
    crc = ~crc;
    for (size_t i = 0; i < length; i++)
        crc = crc_table[(crc ^ bytes[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const void *data, size_t length)
{
    const unsigned char *bytes = data;
    uint64_t state = ~crc;
    for (; length >= 8; length -= 8, bytes += 8) {
        uint64_t word;
        memcpy(&word, bytes, sizeof word);
        state = _mm_crc32_u64(state, word);
    }
    uint32_t state32 = (uint32_t)state;
    for (; length > 0; length--, bytes++)
        state32 = _mm_crc32_u8(state32, *bytes);
    return ~state32;
}
#endif

uint32_t vdb_crc32c(uint32_t crc, const void *data, size_t length)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2"))
        return crc32c_sse42(crc, data, length);
#endif
    return vdb_crc32c_portable(crc, data, length);
}
