/* SPDX-License-Identifier: MIT */
/*
 * kvsnprintf: the C99 snprintf contract without floating point (the kernel
 * is built with -mgeneral-regs-only, so %f could not even be compiled).
 *
 * Supported: %d %i %u %x %X %o %c %s %p %%, the flags - + space # 0, a
 * field width and a precision (digits or *), and the length modifiers
 * hh h l ll z j t. The return value is the length the whole output would
 * have had, so callers can detect truncation; the buffer is always
 * NUL-terminated when it has room for at least that.
 *
 * Two deliberate differences from glibc: %p always prints "0x" and sixteen
 * hex digits (NULL included), so pointers line up in logs; and a NULL %s
 * prints "(null)", cut by the precision like any other string.
 */
#include "kernel/platform.h"

#define FL_LEFT 0x01  /* '-' */
#define FL_PLUS 0x02  /* '+' */
#define FL_SPACE 0x04 /* ' ' */
#define FL_ALT 0x08   /* '#' */
#define FL_ZERO 0x10  /* '0' */

/*
 * Widths and precisions come from format strings written in this kernel;
 * a cap keeps a typo like "%99999999d" from spinning for seconds.
 */
#define FIELD_MAX 4096

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T };

struct out {
	char *buf;
	size_t size;
	size_t len; /* what would have been written, which may exceed size */
};

struct spec {
	unsigned flags;
	int width;
	int prec; /* -1: none given */
	unsigned base;
	bool upper;
};

static void out_char(struct out *o, char c)
{
	/* The last byte of the buffer is kept for the terminating NUL. */
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_fill(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

static void out_mem(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out_char(o, s[i]);
}

/*
 * Lay out one integer as C99 7.21.6.1 describes:
 *   [spaces] [sign] [0x] [zeros] digits [spaces]
 * where the zeros come from the precision or, when no precision was given,
 * from the '0' flag filling the width.
 */
static void out_number(struct out *o, u64 v, char sign, const char *prefix, const struct spec *sp)
{
	const char *set = sp->upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char digits[24]; /* 22 octal digits hold 2^64 - 1 */
	int nd = 0, zeros, total, pad;
	int plen = 0;

	/* Precision 0 with the value 0 prints no digits at all. */
	if (v != 0 || sp->prec != 0) {
		do {
			digits[nd++] = set[v % sp->base];
			v /= sp->base;
		} while (v);
	}
	zeros = sp->prec > nd ? sp->prec - nd : 0;
	/* '#' with %o raises the precision just enough to print a leading 0. */
	if (sp->base == 8 && (sp->flags & FL_ALT) && zeros == 0 &&
	    (nd == 0 || digits[nd - 1] != '0'))
		zeros = 1;
	while (prefix && prefix[plen])
		plen++;
	total = (sign ? 1 : 0) + plen + zeros + nd;
	if ((sp->flags & (FL_ZERO | FL_LEFT)) == FL_ZERO && sp->prec < 0 && sp->width > total) {
		zeros += sp->width - total;
		total = sp->width;
	}
	pad = sp->width > total ? sp->width - total : 0;

	if (!(sp->flags & FL_LEFT))
		out_fill(o, ' ', pad);
	if (sign)
		out_char(o, sign);
	out_mem(o, prefix ? prefix : "", (size_t)plen);
	out_fill(o, '0', zeros);
	while (nd > 0)
		out_char(o, digits[--nd]);
	if (sp->flags & FL_LEFT)
		out_fill(o, ' ', pad);
}

static void out_string(struct out *o, const char *s, size_t n, const struct spec *sp)
{
	int pad = sp->width > (int)n ? sp->width - (int)n : 0;

	if (!(sp->flags & FL_LEFT))
		out_fill(o, ' ', pad);
	out_mem(o, s, n);
	if (sp->flags & FL_LEFT)
		out_fill(o, ' ', pad);
}

/* Reads digits, saturating at FIELD_MAX. */
static int read_field(const char **pp)
{
	const char *p = *pp;
	int n = 0;

	while (*p >= '0' && *p <= '9') {
		n = n * 10 + (*p - '0');
		if (n > FIELD_MAX)
			n = FIELD_MAX;
		p++;
	}
	*pp = p;
	return n;
}

static int clamp_field(int n)
{
	return n > FIELD_MAX ? FIELD_MAX : n;
}

/*
 * Default argument promotion turns char and short into int, so hh and h read
 * an int and truncate it, as the standard says the value is converted.
 * There is no ssize_t in a freestanding environment; %zd reads ptrdiff_t,
 * which has the size of size_t on every ABI this kernel could be built for.
 */
static s64 arg_signed(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_Z:
	case LEN_T:
		return va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, intmax_t);
	default:
		return va_arg(*ap, int);
	}
}

static u64 arg_unsigned(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
		return va_arg(*ap, size_t);
	case LEN_T:
		return (size_t)va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
	struct out o = {buf, size, 0};
	const char *p;
	va_list ap;

	/* A copy we can pass by pointer: va_list is an array type on x86_64. */
	va_copy(ap, ap_in);
	for (p = fmt; *p; p++) {
		const char *start = p;
		struct spec sp = {0, 0, -1, 10, false};
		enum length len = LEN_NONE;

		if (*p != '%') {
			out_char(&o, *p);
			continue;
		}
		p++;
		for (;; p++) {
			if (*p == '-')
				sp.flags |= FL_LEFT;
			else if (*p == '+')
				sp.flags |= FL_PLUS;
			else if (*p == ' ')
				sp.flags |= FL_SPACE;
			else if (*p == '#')
				sp.flags |= FL_ALT;
			else if (*p == '0')
				sp.flags |= FL_ZERO;
			else
				break;
		}
		if (*p == '*') {
			int w = va_arg(ap, int);
			/* A negative '*' width means '-' and its magnitude. */
			if (w < 0) {
				sp.flags |= FL_LEFT;
				/* Compared first: negating INT_MIN overflows. */
				w = w < -FIELD_MAX ? FIELD_MAX : -w;
			}
			sp.width = clamp_field(w);
			p++;
		} else {
			sp.width = read_field(&p);
		}
		if (*p == '.') {
			p++;
			if (*p == '*') {
				int pr = va_arg(ap, int);
				/* A negative '*' precision counts as none given. */
				sp.prec = pr < 0 ? -1 : clamp_field(pr);
				p++;
			} else {
				sp.prec = read_field(&p);
			}
		}
		switch (*p) {
		case 'h':
			len = p[1] == 'h' ? LEN_HH : LEN_H;
			p += len == LEN_HH ? 2 : 1;
			break;
		case 'l':
			len = p[1] == 'l' ? LEN_LL : LEN_L;
			p += len == LEN_LL ? 2 : 1;
			break;
		case 'z':
			len = LEN_Z;
			p++;
			break;
		case 'j':
			len = LEN_J;
			p++;
			break;
		case 't':
			len = LEN_T;
			p++;
			break;
		}

		switch (*p) {
		case 'd':
		case 'i': {
			s64 v = arg_signed(&ap, len);
			char sign = 0;

			if (v < 0)
				sign = '-';
			else if (sp.flags & FL_PLUS)
				sign = '+';
			else if (sp.flags & FL_SPACE)
				sign = ' ';
			/* Negate in unsigned arithmetic so INT64_MIN is defined. */
			out_number(&o, v < 0 ? 0 - (u64)v : (u64)v, sign, NULL, &sp);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			u64 v = arg_unsigned(&ap, len);
			const char *prefix = NULL;

			sp.base = *p == 'u' ? 10 : *p == 'o' ? 8 : 16;
			sp.upper = *p == 'X';
			/* C99: "#" adds 0x only to a nonzero value. */
			if (sp.base == 16 && (sp.flags & FL_ALT) && v != 0)
				prefix = sp.upper ? "0X" : "0x";
			out_number(&o, v, 0, prefix, &sp);
			break;
		}
		case 'p': {
			/* Fixed layout; only the width and '-' are honoured. */
			u64 v = (uintptr_t)va_arg(ap, void *);

			sp.flags &= FL_LEFT;
			sp.prec = 2 * sizeof(u64);
			sp.base = 16;
			out_number(&o, v, 0, "0x", &sp);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			out_string(&o, &c, 1, &sp);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			size_t n = 0;

			if (!s)
				s = "(null)";
			/* With a precision the string need not be terminated. */
			while ((sp.prec < 0 || n < (size_t)sp.prec) && s[n])
				n++;
			out_string(&o, s, n, &sp);
			break;
		}
		case '%':
			out_char(&o, '%');
			break;
		default:
			/*
			 * An unknown conversion is printed as written, so the
			 * mistake shows in the output; a '%' at the very end
			 * must not step over the terminating NUL.
			 */
			if (!*p) {
				out_mem(&o, start, (size_t)(p - start));
				p--;
			} else {
				out_mem(&o, start, (size_t)(p - start + 1));
			}
			break;
		}
	}
	va_end(ap);

	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len > 0x7fffffff ? 0x7fffffff : (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
