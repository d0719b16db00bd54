/* SPDX-License-Identifier: MIT */
/*
 * Freestanding memory and string functions (see include/kernel/string.h).
 *
 * The bulk copies use the rep string instructions: on CPUs with ERMS (every
 * x86_64 CPU QEMU models today) they are as fast as a hand-written loop, and
 * writing them in assembly stops GCC from recognising a byte loop as a
 * memcpy idiom and compiling memcpy into a call to itself. They move eight
 * bytes an iteration where they can: under TCG every iteration of a rep
 * instruction is one pass through a translated block, so the cost is per
 * iteration, not per byte, and "rep stosb" over a megabyte costs about 2 ms
 * (measured at boot, where zeroing is most of what runs). The names are in
 * parentheses so the header's function-like macros do not expand here.
 */
#include "kernel/string.h"

/* Below this, the byte form alone: aligning first would not pay. */
#define STRING_QWORD_MIN 32

void *(memcpy)(void *restrict dst, const void *restrict src, size_t n)
{
	void *ret = dst;

	if (n >= STRING_QWORD_MIN) {
		size_t head = -(uintptr_t)dst & 7, words;

		n -= head;
		__asm__ __volatile__("rep movsb" : "+D"(dst), "+S"(src), "+c"(head) : : "memory");
		words = n >> 3;
		n &= 7;
		__asm__ __volatile__("rep movsq" : "+D"(dst), "+S"(src), "+c"(words) : : "memory");
	}
	__asm__ __volatile__("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	return ret;
}

void *(memmove)(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	/* A forward copy is only wrong when the destination starts inside the source. */
	if (d <= s || d >= s + n)
		return (memcpy)(dst, src, n);
	/*
	 * Copy backwards with the direction flag set; the ABI requires it to be
	 * clear again on return, which the cld restores.
	 */
	d += n - 1;
	s += n - 1;
	__asm__ __volatile__("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory", "cc");
	return dst;
}

void *(memset)(void *dst, int c, size_t n)
{
	void *ret = dst;

	if (n >= STRING_QWORD_MIN) {
		u64 pattern = 0x0101010101010101ull * (u8)c;
		size_t head = -(uintptr_t)dst & 7, words;

		n -= head;
		__asm__ __volatile__("rep stosb" : "+D"(dst), "+c"(head) : "a"(pattern) : "memory");
		words = n >> 3;
		n &= 7;
		__asm__ __volatile__("rep stosq" : "+D"(dst), "+c"(words) : "a"(pattern) : "memory");
	}
	__asm__ __volatile__("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
	return ret;
}

int(memcmp)(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	}
	return 0;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == (unsigned char)c)
			return (void *)(p + i);
	}
	return NULL;
}

size_t(strlen)(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

/* The C standard compares strings as unsigned char. */
int strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	while (*x && *x == *y) {
		x++;
		y++;
	}
	return (*x > *y) - (*x < *y);
}

int strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	for (; n; n--, x++, y++) {
		if (*x != *y || !*x)
			return (*x > *y) - (*x < *y);
	}
	return 0;
}

/* The terminating NUL counts as part of the string, so strchr(s, 0) finds it. */
char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

char *strncpy(char *restrict dst, const char *restrict src, size_t n)
{
	size_t i = 0;

	for (; i < n && src[i]; i++)
		dst[i] = src[i];
	for (; i < n; i++)
		dst[i] = '\0';
	return dst;
}
