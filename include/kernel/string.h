/* SPDX-License-Identifier: MIT */
/*
 * The C library's memory and string functions, for the kernel only. GCC
 * emits calls to memcpy, memset, memmove and memcmp on its own (structure
 * copies, zero-initialisers) even with -ffreestanding, so kernel/string.c
 * must provide them under exactly these names. Host unit tests use the C
 * library's versions and never link kernel/string.c.
 */
#ifndef KERNEL_STRING_H
#define KERNEL_STRING_H

#ifdef VBLK_HOST_TEST
#include <string.h>
#else

#include "kernel/types.h"

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
/* C semantics: pads with NULs, and does not terminate when @src is too long. */
char *strncpy(char *restrict dst, const char *restrict src, size_t n);

/*
 * -ffreestanding turns off GCC's knowledge of these functions, so a 16-byte
 * memcpy would become a call. The builtins let it inline small, constant
 * sizes again and fall back to the functions above otherwise.
 */
#define memcpy(d, s, n) __builtin_memcpy(d, s, n)
#define memmove(d, s, n) __builtin_memmove(d, s, n)
#define memset(d, c, n) __builtin_memset(d, c, n)
#define memcmp(a, b, n) __builtin_memcmp(a, b, n)
#define strlen(s) __builtin_strlen(s)

#endif /* VBLK_HOST_TEST */
#endif
