/* The whole host interface of an Agora program: stdin, stdout, exit. No libc needed.
   See docs/programs.md. */
#ifndef AGORA_H
#define AGORA_H

typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned char u8;

struct iovec { const void *buf; u32 len; };

__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_read")))
int __wasi_fd_read(int fd, const struct iovec *iovs, int iovs_len, u32 *nread);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_write")))
int __wasi_fd_write(int fd, const struct iovec *iovs, int iovs_len, u32 *nwritten);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_exit"), noreturn))
void __wasi_proc_exit(int code);

/* Reads all of stdin into buf (at most cap bytes); returns the length. */
static u32 read_all(u8 *buf, u32 cap) {
    u32 total = 0;
    while (total < cap) {
        struct iovec v = { buf + total, cap - total };
        u32 n = 0;
        if (__wasi_fd_read(0, &v, 1, &n) != 0 || n == 0) break;
        total += n;
    }
    return total;
}

static void write_all(const void *data, u32 len) {
    struct iovec v = { data, len };
    u32 n;
    __wasi_fd_write(1, &v, 1, &n);
}

/* Writes an unsigned decimal number. */
static void write_u64(u64 x) {
    char digits[24];
    int i = 24;
    do { digits[--i] = (char)('0' + x % 10); x /= 10; } while (x);
    write_all(digits + i, (u32)(24 - i));
}

#endif
