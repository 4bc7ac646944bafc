/* Multiplies two n x n matrices of 64-bit integers (wrapping). Input: n, then the 2*n*n entries,
   as decimal numbers separated by white space. Output: the product, one row per line. */
#include "agora.h"

#define MAXN 64
static u8 input[1 << 20];
static u64 a[MAXN][MAXN], b[MAXN][MAXN];
static u32 pos, len;

static u64 next(void) {
    while (pos < len && (input[pos] < '0' || input[pos] > '9')) pos++;
    u64 x = 0;
    while (pos < len && input[pos] >= '0' && input[pos] <= '9') x = x * 10 + (u64)(input[pos++] - '0');
    return x;
}

void _start(void) {
    len = read_all(input, sizeof input);
    u32 n = (u32)next();
    if (n == 0 || n > MAXN) __wasi_proc_exit(2);
    for (u32 i = 0; i < n; i++) for (u32 j = 0; j < n; j++) a[i][j] = next();
    for (u32 i = 0; i < n; i++) for (u32 j = 0; j < n; j++) b[i][j] = next();
    for (u32 i = 0; i < n; i++) {
        for (u32 j = 0; j < n; j++) {
            u64 s = 0;
            for (u32 k = 0; k < n; k++) s += a[i][k] * b[k][j];
            if (j) write_all(" ", 1);
            write_u64(s);
        }
        write_all("\n", 1);
    }
    __wasi_proc_exit(0);
}
