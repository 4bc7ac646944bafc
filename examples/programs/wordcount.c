/* Counts lines, words and bytes of the input, like `wc`: "lines words bytes\n". */
#include "agora.h"

static u8 input[1 << 20];

void _start(void) {
    u32 n = read_all(input, sizeof input);
    u64 lines = 0, words = 0;
    int in_word = 0;
    for (u32 i = 0; i < n; i++) {
        u8 c = input[i];
        if (c == '\n') lines++;
        int space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
        if (!space && !in_word) words++;
        in_word = !space;
    }
    write_u64(lines); write_all(" ", 1);
    write_u64(words); write_all(" ", 1);
    write_u64(n); write_all("\n", 1);
    __wasi_proc_exit(0);
}
