/* SPDX-License-Identifier: MIT */
/*
 * The kernel command line (include/kernel/cmdline.h): one pass that splits
 * the line into parameters and groups, lookups that remember what was asked
 * for, and the parsers for the values fio and Linux users type.
 */
#include "kernel/cmdline.h"
#include "kernel/platform.h"
#include "kernel/string.h"

#define U64_MAX (~(u64)0)

/* Spaces, tabs and line ends: a command line from a file may span lines. */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static char to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool streq_nocase(const char *a, const char *b)
{
	while (*a && to_lower(*a) == to_lower(*b)) {
		a++;
		b++;
	}
	return to_lower(*a) == to_lower(*b);
}

/* The rest of the token at @p, for error messages. */
static int token_len(const char *p)
{
	int n = 0;

	while (p[n] && !is_blank(p[n]))
		n++;
	return n;
}

/*
 * Closes the current group unless it is empty: empty groups are dropped.
 * @sep is the separator that ends it, which becomes the next group's: a
 * "--" between two groups wins over a "++", so "a -- ++ b" keeps b apart.
 */
static int end_group(struct cmdline *cl, enum cmdline_sep sep)
{
	if (cl->nparams == cl->group_start[cl->ngroups]) {
		if (cl->ngroups && sep > cl->group_sep[cl->ngroups])
			cl->group_sep[cl->ngroups] = sep;
		return 0;
	}
	if (cl->ngroups == CMDLINE_MAX_GROUPS) {
		pr_err("command line has more than %d jobs", CMDLINE_MAX_GROUPS);
		return -E2BIG;
	}
	cl->ngroups++;
	cl->group_start[cl->ngroups] = cl->nparams;
	cl->group_sep[cl->ngroups] = sep;
	return 0;
}

/*
 * A lone "--" or "++": the separator it is, or CMDLINE_SEP_NONE. The two
 * characters are looked at before the one after them, which exists only
 * when they are not the end of the text (a one-character last token).
 */
static enum cmdline_sep separator_at(const char *p)
{
	enum cmdline_sep sep;

	if (p[0] == '-' && p[1] == '-')
		sep = CMDLINE_SEP_SERIAL;
	else if (p[0] == '+' && p[1] == '+')
		sep = CMDLINE_SEP_PARALLEL;
	else
		return CMDLINE_SEP_NONE;
	return p[2] == '\0' || is_blank(p[2]) ? sep : CMDLINE_SEP_NONE;
}

static int parse_line(struct cmdline *cl, const char *p)
{
	/*
	 * Each token of n bytes is stored in at most n + 1 (the '=' becomes the
	 * key's NUL, and one more ends the token), and tokens are at least one
	 * blank apart, so a line that fits in text[] leaves room for its parse.
	 */
	char *out = cl->text;
	enum cmdline_sep sep;
	int err;

	for (;;) {
		const char *tok, *value;
		char *key;
		bool quoted = false;

		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		tok = p;
		sep = separator_at(p);
		if (sep != CMDLINE_SEP_NONE) {
			err = end_group(cl, sep);
			if (err)
				return err;
			p += 2;
			continue;
		}

		key = out;
		while (*p && *p != '=' && !is_blank(*p)) {
			if (*p == '"') {
				pr_err("command line: quote in the key of '%.*s'", token_len(tok),
				       tok);
				return -EINVAL;
			}
			*out++ = *p++;
		}
		if (out == key) {
			pr_err("command line: empty key in '%.*s'", token_len(tok), tok);
			return -EINVAL;
		}
		*out++ = '\0';

		value = "";
		if (*p == '=') {
			p++;
			value = out;
			/* Quotes only group words; they are not part of the value. */
			while (*p && (quoted || !is_blank(*p))) {
				if (*p == '"')
					quoted = !quoted;
				else
					*out++ = *p;
				p++;
			}
			if (quoted) {
				pr_err("command line: unterminated quote in '%s'", tok);
				return -EINVAL;
			}
			*out++ = '\0';
		}

		if (cl->nparams == CMDLINE_MAX_PARAMS) {
			pr_err("command line has more than %d parameters", CMDLINE_MAX_PARAMS);
			return -E2BIG;
		}
		cl->params[cl->nparams].key = key;
		cl->params[cl->nparams].value = value;
		cl->params[cl->nparams].used = false;
		cl->nparams++;
	}
	return end_group(cl, CMDLINE_SEP_NONE);
}

int cmdline_parse(struct cmdline *cl, const char *text)
{
	int err;

	cl->nparams = 0;
	cl->ngroups = 0;
	cl->group_start[0] = 0;
	cl->group_sep[0] = CMDLINE_SEP_NONE;
	if (!text)
		text = "";
	if (strnlen(text, CMDLINE_MAX_TEXT) == CMDLINE_MAX_TEXT) {
		pr_err("command line is longer than %d bytes", CMDLINE_MAX_TEXT - 1);
		return -E2BIG;
	}
	err = parse_line(cl, text);
	if (err) {
		/* Half a command line would run half the jobs: keep nothing. */
		cl->nparams = 0;
		cl->ngroups = 0;
	}
	return err;
}

unsigned cmdline_groups(const struct cmdline *cl)
{
	return cl->ngroups;
}

enum cmdline_sep cmdline_group_sep(const struct cmdline *cl, unsigned group)
{
	return group < cl->ngroups ? cl->group_sep[group] : CMDLINE_SEP_NONE;
}

unsigned cmdline_count(const struct cmdline *cl, unsigned group)
{
	if (group >= cl->ngroups)
		return 0;
	return cl->group_start[group + 1] - cl->group_start[group];
}

struct cmdline_param *cmdline_at(struct cmdline *cl, unsigned group, unsigned i)
{
	if (i >= cmdline_count(cl, group))
		return NULL;
	return &cl->params[cl->group_start[group] + i];
}

const char *cmdline_get(struct cmdline *cl, unsigned group, const char *key)
{
	const char *value = NULL;
	unsigned n = cmdline_count(cl, group);

	for (unsigned i = 0; i < n; i++) {
		struct cmdline_param *p = &cl->params[cl->group_start[group] + i];

		if (strcmp(p->key, key) == 0) {
			p->used = true;
			value = p->value;
		}
	}
	return value;
}

static bool in_list(const char *key, const char *const *list)
{
	for (; list && *list; list++) {
		if (strcmp(key, *list) == 0)
			return true;
	}
	return false;
}

int cmdline_report_unused(const struct cmdline *cl, const char *const *ignore)
{
	int n = 0;

	for (unsigned g = 0; g < cl->ngroups; g++) {
		for (unsigned i = cl->group_start[g]; i < cl->group_start[g + 1]; i++) {
			const struct cmdline_param *p = &cl->params[i];

			if (p->used || in_list(p->key, ignore))
				continue;
			pr_err("unknown command-line key '%s' (job %u)", p->key, g + 1);
			n++;
		}
	}
	return n;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = to_lower(c);
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	return 99;
}

/*
 * Reads one or more digits of @base at *pp, moving *pp past them. Digits
 * beyond the base end the number rather than being an error, so a suffix
 * can follow; the callers decide what may come after.
 */
static int read_digits(const char **pp, unsigned base, u64 *out)
{
	const char *p = *pp;
	u64 v = 0;
	bool overflow = false;

	if (digit_value(*p) >= (int)base)
		return -EINVAL;
	for (; digit_value(*p) < (int)base; p++) {
		unsigned d = (unsigned)digit_value(*p);

		/* Keep scanning after an overflow so "99999999999999999999x" is -EINVAL. */
		if (v > (U64_MAX - d) / base)
			overflow = true;
		v = v * base + d;
	}
	*pp = p;
	*out = v;
	return overflow ? -ERANGE : 0;
}

/* Decimal or 0x-hexadecimal; *hex tells the caller which it was. */
static int read_number(const char **pp, u64 *out, bool *hex)
{
	const char *p = *pp;
	int err;

	*hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
	if (*hex)
		p += 2;
	err = read_digits(&p, *hex ? 16 : 10, out);
	if (err != -EINVAL)
		*pp = p;
	return err;
}

int parse_u64(const char *s, u64 *out)
{
	u64 v;
	bool hex;
	int err = read_number(&s, &v, &hex);

	/* Junk after the digits is reported before an overflow in them. */
	if (err == -EINVAL || *s)
		return -EINVAL;
	if (err)
		return err;
	*out = v;
	return 0;
}

/* Multiplies with an overflow check. */
static int scale(u64 v, u64 mult, u64 *out)
{
	if (mult && v > U64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int parse_size(const char *s, u64 *out)
{
	/* Index i multiplies by 1024^(i+1), the binary units fio uses by default. */
	static const char prefixes[] = "kmgtp";
	u64 v, mult = 1;
	bool hex, ok = false;
	int err = read_number(&s, &v, &hex);

	if (err == -EINVAL)
		return err;
	if (hex || !*s) {
		ok = !*s;
	} else if (streq_nocase(s, "b")) {
		ok = true;
	} else {
		for (unsigned i = 0; prefixes[i]; i++) {
			if (to_lower(*s) == prefixes[i]) {
				const char *rest = s + 1;

				mult = (u64)1 << (10 * (i + 1));
				/* "k", "kb" and "kib": fio counts all three as 1024. */
				ok = !*rest || streq_nocase(rest, "b") || streq_nocase(rest, "ib");
				break;
			}
		}
	}
	if (!ok)
		return -EINVAL;
	if (err)
		return err;
	err = scale(v, mult, &v);
	if (err)
		return err;
	*out = v;
	return 0;
}

int parse_decimal(const char *s, unsigned frac_digits, u64 *out)
{
	u64 v = 0, frac = 0, mult;
	unsigned nfrac = 0;
	int err;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	err = read_digits(&s, 10, &v);
	if (err == -EINVAL)
		return err;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		/* Digits past the precision asked for are checked, then dropped. */
		for (; *s >= '0' && *s <= '9'; s++) {
			if (nfrac < frac_digits) {
				frac = frac * 10 + (u64)(*s - '0');
				nfrac++;
			}
		}
	}
	if (*s)
		return -EINVAL;
	if (err)
		return err;
	for (; nfrac < frac_digits; nfrac++)
		frac *= 10;
	mult = 1;
	for (unsigned i = 0; i < frac_digits; i++)
		mult *= 10;
	err = scale(v, mult, &v);
	if (err)
		return err;
	if (v > U64_MAX - frac)
		return -ERANGE;
	*out = v + frac;
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "on", "yes", "true"};
	static const char *const no[] = {"0", "off", "no", "false"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (streq_nocase(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (streq_nocase(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * A duration: a decimal count of @default_us microseconds, or followed by
 * a unit, returned in units of @out_us microseconds; a unit finer than
 * that is refused (5us is no whole number of milliseconds). Hexadecimal is
 * refused: "0x1d" would be ambiguous with the day suffix.
 */
static int parse_duration(const char *s, u64 default_us, u64 out_us, u64 *out)
{
	static const struct {
		const char *suffix;
		u64 us;
	} units[] = {
		{"us", 1},
		{"ms", 1000},
		{"s", 1000 * 1000},
		{"m", 60ull * 1000 * 1000},
		{"h", 3600ull * 1000 * 1000},
		{"d", 86400ull * 1000 * 1000},
	};
	u64 v, unit = 0;
	int err = read_digits(&s, 10, &v);

	if (err == -EINVAL)
		return err;
	if (!*s) {
		unit = default_us;
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			if (streq_nocase(s, units[i].suffix))
				unit = units[i].us;
		}
		if (unit < out_us)
			return -EINVAL;
	}
	if (err)
		return err;
	err = scale(v, unit / out_us, &v);
	if (err)
		return err;
	*out = v;
	return 0;
}

int parse_seconds(const char *s, u64 *ms)
{
	return parse_duration(s, 1000 * 1000, 1000, ms);
}

int parse_ms(const char *s, u64 *ms)
{
	return parse_duration(s, 1000, 1000, ms);
}

int parse_us(const char *s, u64 *us)
{
	return parse_duration(s, 1, 1, us);
}
