/* Sieve of Eratosthenes: the number of primes below N and the largest one, "count largest\n".
   Input: N in decimal (at most 10,000,000). */
#include "agora.h"

#define MAXN 10000000
static u8 composite[MAXN];
static u8 input[64];

void _start(void) {
    u32 n = read_all(input, sizeof input), limit = 0;
    for (u32 i = 0; i < n && input[i] >= '0' && input[i] <= '9'; i++) limit = limit * 10 + (input[i] - '0');
    if (limit > MAXN) __wasi_proc_exit(2);
    u64 count = 0, largest = 0;
    for (u32 i = 2; i < limit; i++) {
        if (composite[i]) continue;
        count++;
        largest = i;
        for (u64 j = (u64)i * i; j < limit; j += i) composite[j] = 1;
    }
    write_u64(count); write_all(" ", 1);
    write_u64(largest); write_all("\n", 1);
    __wasi_proc_exit(0);
}
