// SPDX-License-Identifier: MIT
/*
 * vblk-img: make and check disk images in the sector stamp format
 * (include/bench/stamp.h), with the kernel's own bench/stamp.c, so what the
 * host writes before a boot and checks after it is exactly what the kernel's
 * verify jobs write and check.
 *
 *   vblk-img create FILE SIZE [--stamp SEED [--gen N] | --zero | --random SEED]
 *   vblk-img verify FILE [--offset BYTES] [--length BYTES] --seed SEED[,SEED...]|any
 *                   [--gen N|any]
 *   vblk-img zero   FILE [--offset BYTES] [--length BYTES]
 *   vblk-img stamp  FILE [--offset BYTES] [--length BYTES] --seed SEED [--gen N]
 *   vblk-img show   FILE SECTOR
 *
 * Stamps the host writes carry generation 0 unless --gen says otherwise.
 * verify names the seed it expects, or the seeds of several known writers
 * when some blocks were rewritten (`any` only for data of unknown origin),
 * and accepts any generation unless --gen names one.
 *
 * Exit status: 0 when the check passes, 1 on a mismatch, 2 on a usage or
 * I/O error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/crc32c.h"
#include "bench/stamp.h"

#define CHUNK (1u << 20) /* bytes per read or write: a multiple of 512 */
#define MAX_REPORTED 10	 /* mismatching sectors named before summing up */

#define EXIT_MISMATCH 1
#define EXIT_USAGE 2

static const char *prog = "vblk-img";

static void usage(void)
{
	fprintf(stderr,
		"usage: %s create FILE SIZE [--stamp SEED [--gen N] | --zero | --random SEED]\n"
		"       %s verify FILE [--offset BYTES] [--length BYTES] --seed SEED[,SEED...]|any "
		"[--gen N|any]\n"
		"       %s zero   FILE [--offset BYTES] [--length BYTES]\n"
		"       %s stamp  FILE [--offset BYTES] [--length BYTES] --seed SEED [--gen N]\n"
		"       %s show   FILE SECTOR\n"
		"       %s join   OUT CHUNK MEMBER...   (rebuild a striped md device)\n"
		"       %s mbr    FILE [--block BYTES] START+SIZE...   (primary partitions, type "
		"0x83)\n"
		"SIZE, BYTES: a byte count with an optional k, M, G or T suffix (powers of 1024).\n"
		"Offsets are multiples of 512; sector numbers count from the start of FILE.\n",
		prog, prog, prog, prog, prog, prog, prog);
	exit(EXIT_USAGE);
}

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

/* A u64 in decimal or 0x hex; anything else, or overflow, is an error. */
static u64 parse_u64(const char *what, const char *s, const char **end)
{
	char *e;
	unsigned long long v;

	errno = 0;
	if (s[0] == '-' || s[0] == '+' || s[0] == ' ' || s[0] == '\0')
		die("bad %s '%s'", what, s);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		v = strtoull(s + 2, &e, 16);
	else
		v = strtoull(s, &e, 10);
	if (errno || e == s || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && e == s + 2))
		die("bad %s '%s'", what, s);
	if (end)
		*end = e;
	else if (*e)
		die("bad %s '%s'", what, s);
	return v;
}

static u64 parse_size(const char *what, const char *s)
{
	const char *e;
	u64 v = parse_u64(what, s, &e);
	unsigned int shift = 0;

	switch (*e) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		die("bad %s '%s' (suffixes: k M G T)", what, s);
	}
	if (*e && e[1])
		die("bad %s '%s' (suffixes: k M G T)", what, s);
	if (shift && v > (UINT64_MAX >> shift))
		die("%s '%s' is too large", what, s);
	return v << shift;
}

static void write_all(int fd, const char *file, const void *buf, size_t len, u64 off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("%s: write at %" PRIu64 ": %s", file, off,
			    n < 0 ? strerror(errno) : "short write");
		p += n;
		len -= (size_t)n;
		off += (u64)n;
	}
}

static void read_all(int fd, const char *file, void *buf, size_t len, u64 off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("%s: read at %" PRIu64 ": %s", file, off, strerror(errno));
		if (n == 0)
			die("%s: unexpected end of file at %" PRIu64, file, off);
		p += n;
		len -= (size_t)n;
		off += (u64)n;
	}
}

static void *chunk_buffer(void)
{
	void *buf = malloc(CHUNK);

	if (!buf)
		die("out of memory");
	return buf;
}

/* Bytes that are not stamps: splitmix64 output, reproducible from the seed. */
static void fill_random(u8 *buf, size_t len, u64 *state)
{
	size_t i;

	for (i = 0; i < len; i += 8) {
		u64 z = (*state += 0x9e3779b97f4a7c15ull);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		for (size_t k = 0; k < 8 && i + k < len; k++)
			buf[i + k] = (u8)(z >> (8 * k));
	}
}

/* Options after FILE [ARG]: --name VALUE or --name=VALUE. */
struct opts {
	const char *offset, *length, *seed, *stamp, *random, *gen;
	int zero;
};

static void parse_opts(int argc, char **argv, struct opts *o)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		const char **slot = NULL;
		size_t n;

		if (!strcmp(a, "--zero")) {
			o->zero = 1;
			continue;
		}
		if (!strncmp(a, "--offset", n = 8))
			slot = &o->offset;
		else if (!strncmp(a, "--length", n = 8))
			slot = &o->length;
		else if (!strncmp(a, "--seed", n = 6))
			slot = &o->seed;
		else if (!strncmp(a, "--stamp", n = 7))
			slot = &o->stamp;
		else if (!strncmp(a, "--random", n = 8))
			slot = &o->random;
		else if (!strncmp(a, "--gen", n = 5))
			slot = &o->gen;
		else
			die("unknown argument '%s'", a);
		if (a[n] == '=')
			val = a + n + 1;
		else if (a[n] == '\0' && i + 1 < argc)
			val = argv[++i];
		else if (a[n] == '\0')
			die("%s needs a value", a);
		else
			die("unknown argument '%s'", a);
		*slot = val;
	}
}

static int open_file(const char *file, int flags, u64 *size)
{
	struct stat st;
	int fd = open(file, flags, 0644);

	if (fd < 0)
		die("%s: %s", file, strerror(errno));
	if (size) {
		if (fstat(fd, &st))
			die("%s: %s", file, strerror(errno));
		*size = (u64)st.st_size;
		/* A block device's size is not in st_size. */
		if (S_ISBLK(st.st_mode)) {
			off_t end = lseek(fd, 0, SEEK_END);

			if (end < 0)
				die("%s: %s", file, strerror(errno));
			*size = (u64)end;
		}
	}
	return fd;
}

/* The byte range [*off, *off + *len) of a file of @size bytes. */
static void get_range(const struct opts *o, const char *file, u64 size, u64 *off, u64 *len)
{
	*off = o->offset ? parse_size("offset", o->offset) : 0;
	if (*off % STAMP_SECTOR_SIZE)
		die("offset %" PRIu64 " is not a multiple of %d", *off, STAMP_SECTOR_SIZE);
	if (*off > size)
		die("%s: offset %" PRIu64 " is past the end (%" PRIu64 " bytes)", file, *off, size);
	*len = o->length ? parse_size("length", o->length) : size - *off;
	if (*len > size - *off)
		die("%s: range %" PRIu64 "+%" PRIu64 " is past the end (%" PRIu64 " bytes)", file,
		    *off, *len, size);
}

/* A generation to write: 0 unless --gen names one. */
static u32 write_gen(const struct opts *o)
{
	u64 gen = o->gen ? parse_u64("generation", o->gen, NULL) : 0;

	if (gen > 0xffffffffu)
		die("generation %" PRIu64 " does not fit in 32 bits", gen);
	return (u32)gen;
}

static int cmd_create(int argc, char **argv)
{
	struct opts o = {0};
	const char *file;
	u64 size, off, seed = 0;
	u8 *buf;
	int fd, modes;

	if (argc < 2)
		usage();
	file = argv[0];
	size = parse_size("size", argv[1]);
	parse_opts(argc - 2, argv + 2, &o);
	modes = !!o.zero + !!o.stamp + !!o.random;
	if (modes > 1 || o.seed || o.offset || o.length || (o.gen && !o.stamp))
		die("create takes one of --stamp SEED [--gen N], --zero, --random SEED");
	if (o.stamp)
		seed = parse_u64("seed", o.stamp, NULL);
	if (o.random)
		seed = parse_u64("seed", o.random, NULL);

	fd = open_file(file, O_RDWR | O_CREAT | O_TRUNC, NULL);
	/* Zero is the sparse file itself; the other contents overwrite it. */
	if (ftruncate(fd, (off_t)size))
		die("%s: %s", file, strerror(errno));
	if (o.stamp || o.random) {
		u64 state = seed;

		buf = chunk_buffer();
		for (off = 0; off < size; off += CHUNK) {
			size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;

			if (o.stamp)
				stamp_fill(buf, n, off / STAMP_SECTOR_SIZE, seed, write_gen(&o));
			else
				fill_random(buf, n, &state);
			write_all(fd, file, buf, n, off);
		}
		free(buf);
	}
	if (close(fd))
		die("%s: %s", file, strerror(errno));
	return 0;
}

static int cmd_stamp(int argc, char **argv)
{
	struct opts o = {0};
	const char *file;
	u64 size, off, len, seed, done;
	u8 *buf;
	int fd;

	if (argc < 1)
		usage();
	file = argv[0];
	parse_opts(argc - 1, argv + 1, &o);
	if (o.zero || o.stamp || o.random || !o.seed)
		die("stamp takes --offset, --length, --seed SEED and --gen N");
	seed = parse_u64("seed", o.seed, NULL);
	fd = open_file(file, O_RDWR, &size);
	get_range(&o, file, size, &off, &len);

	buf = chunk_buffer();
	for (done = 0; done < len; done += CHUNK) {
		size_t n = len - done < CHUNK ? (size_t)(len - done) : CHUNK;

		stamp_fill(buf, n, (off + done) / STAMP_SECTOR_SIZE, seed, write_gen(&o));
		write_all(fd, file, buf, n, off + done);
	}
	free(buf);
	if (close(fd))
		die("%s: %s", file, strerror(errno));
	return 0;
}

static u64 sectors_in(u64 len)
{
	return (len + STAMP_SECTOR_SIZE - 1) / STAMP_SECTOR_SIZE;
}

/* Shared tail of verify and zero: one line per bad sector, then a summary. */
static void report(u64 bad, u64 total, const char *ok_what)
{
	if (!bad) {
		printf("OK: %" PRIu64 " sectors%s\n", total, ok_what);
		return;
	}
	if (bad > MAX_REPORTED)
		printf("... %" PRIu64 " more not shown\n", bad - MAX_REPORTED);
	printf("FAILED: %" PRIu64 " of %" PRIu64 " sectors bad\n", bad, total);
}

#define MAX_SEEDS 8

/*
 * With several seeds the check ran with "any seed"; the sectors it passed
 * (up to m->sector, or all when m->err is 0) must name one of them. The
 * first that names another becomes the mismatch.
 */
static void check_seed_set(const u8 *buf, size_t pos, size_t n, u64 first, const u64 *seeds,
			   unsigned nseeds, struct stamp_mismatch *m)
{
	size_t end = m->err ? (size_t)(m->sector - first) * STAMP_SECTOR_SIZE : n;

	for (size_t s = pos; s + STAMP_OFF_SEED + 8 <= end; s += STAMP_SECTOR_SIZE) {
		u64 seed = 0;
		int known = 0;

		for (int i = 7; i >= 0; i--)
			seed = seed << 8 | buf[s + STAMP_OFF_SEED + (unsigned)i];
		for (unsigned k = 0; k < nseeds; k++)
			known |= seed == seeds[k];
		if (!known) {
			stamp_verify_detail(buf + s, STAMP_SECTOR_SIZE,
					    first + s / STAMP_SECTOR_SIZE, seed, STAMP_ANY_GEN, m);
			m->err = STAMP_ESEED;
			m->sector = first + s / STAMP_SECTOR_SIZE;
			return;
		}
	}
}

static int cmd_verify(int argc, char **argv)
{
	struct opts o = {0};
	const char *file;
	u64 size, off, len, seed = STAMP_ANY_SEED, gen = STAMP_ANY_GEN, done, bad = 0;
	u64 seeds[MAX_SEEDS];
	unsigned nseeds = 0;
	u8 *buf;
	int fd;

	if (argc < 1)
		usage();
	file = argv[0];
	parse_opts(argc - 1, argv + 1, &o);
	if (o.zero || o.stamp || o.random)
		die("verify takes --offset, --length, --seed SEED|any and --gen N|any");
	/*
	 * The seed is not optional: a check that accepts any seed proves only
	 * that sectors are self-consistent, not that a given run's writes
	 * landed. Say "any" for data of unknown origin.
	 */
	if (!o.seed)
		die("verify needs --seed SEED (or --seed any for data of unknown origin)");
	/* --seed A,B: every sector carries one of several known writers' seeds. */
	if (strcmp(o.seed, "any")) {
		const char *p = o.seed, *end;
		do {
			if (nseeds == MAX_SEEDS)
				die("at most %d seeds", MAX_SEEDS);
			seeds[nseeds++] = parse_u64("seed", p, &end);
			if (*end && *end != ',')
				die("bad seed list '%s'", o.seed);
			p = *end == ',' ? end + 1 : NULL;
		} while (p);
		seed = nseeds == 1 ? seeds[0] : STAMP_ANY_SEED;
	}
	if (o.gen && strcmp(o.gen, "any"))
		gen = write_gen(&o);
	fd = open_file(file, O_RDONLY, &size);
	get_range(&o, file, size, &off, &len);

	buf = chunk_buffer();
	for (done = 0; done < len; done += CHUNK) {
		size_t n = len - done < CHUNK ? (size_t)(len - done) : CHUNK;
		u64 first = (off + done) / STAMP_SECTOR_SIZE;
		size_t pos = 0;

		read_all(fd, file, buf, n, off + done);
		/* After a bad sector, go on from the next one to count them all. */
		while (pos < n) {
			struct stamp_mismatch m;
			char why[96];
			u64 at;

			if (!stamp_verify_detail(buf + pos, n - pos,
						 first + pos / STAMP_SECTOR_SIZE, seed, gen, &m)) {
				if (nseeds < 2)
					break;
				m.err = 0;
			}
			if (nseeds > 1)
				check_seed_set(buf, pos, n, first, seeds, nseeds, &m);
			if (!m.err)
				break;
			if (++bad <= MAX_REPORTED)
				printf("MISMATCH: sector %" PRIu64 ": %s\n", m.sector,
				       stamp_describe(&m, why, sizeof(why)));
			at = (m.sector - first + 1) * STAMP_SECTOR_SIZE;
			pos = at < n ? (size_t)at : n;
		}
	}
	free(buf);
	close(fd);
	report(bad, sectors_in(len), "");
	return bad ? EXIT_MISMATCH : 0;
}

static int cmd_zero(int argc, char **argv)
{
	struct opts o = {0};
	const char *file;
	u64 size, off, len, done, bad = 0;
	u8 *buf;
	int fd;

	if (argc < 1)
		usage();
	file = argv[0];
	parse_opts(argc - 1, argv + 1, &o);
	if (o.zero || o.stamp || o.random || o.seed)
		die("zero takes --offset and --length");
	fd = open_file(file, O_RDONLY, &size);
	get_range(&o, file, size, &off, &len);

	buf = chunk_buffer();
	for (done = 0; done < len; done += CHUNK) {
		size_t n = len - done < CHUNK ? (size_t)(len - done) : CHUNK;

		read_all(fd, file, buf, n, off + done);
		for (size_t s = 0; s < n; s += STAMP_SECTOR_SIZE) {
			size_t end = s + STAMP_SECTOR_SIZE < n ? s + STAMP_SECTOR_SIZE : n;
			size_t i;

			for (i = s; i < end && !buf[i]; i++)
				;
			if (i == end)
				continue;
			if (++bad <= MAX_REPORTED)
				printf("MISMATCH: sector %" PRIu64
				       ": not zero (byte %zu is 0x%02x)\n",
				       (off + done + s) / STAMP_SECTOR_SIZE, i - s, buf[i]);
		}
	}
	free(buf);
	close(fd);
	report(bad, sectors_in(len), " zero");
	return bad ? EXIT_MISMATCH : 0;
}

/* One sector's header, decoded, for a person looking at a mismatch. */
static int cmd_show(int argc, char **argv)
{
	u8 s[STAMP_SECTOR_SIZE], copy[STAMP_SECTOR_SIZE];
	struct stamp_mismatch m;
	const char *file;
	u64 size, sector, magic = 0, nr = 0, seed = 0;
	u32 crc = 0, gen = 0;
	char why[96];
	int fd, i;

	if (argc != 2)
		usage();
	file = argv[0];
	sector = parse_u64("sector", argv[1], NULL);
	fd = open_file(file, O_RDONLY, &size);
	if (sector >= size / STAMP_SECTOR_SIZE)
		die("%s: sector %" PRIu64 " is past the end (%" PRIu64 " sectors)", file, sector,
		    size / STAMP_SECTOR_SIZE);
	read_all(fd, file, s, sizeof(s), sector * STAMP_SECTOR_SIZE);
	close(fd);

	for (i = 7; i >= 0; i--) {
		magic = magic << 8 | s[STAMP_OFF_MAGIC + i];
		nr = nr << 8 | s[STAMP_OFF_SECTOR + i];
		seed = seed << 8 | s[STAMP_OFF_SEED + i];
	}
	for (i = 3; i >= 0; i--) {
		crc = crc << 8 | s[STAMP_OFF_CRC + i];
		gen = gen << 8 | s[STAMP_OFF_GEN + i];
	}
	memcpy(copy, s, sizeof(copy));
	memset(copy + STAMP_OFF_CRC, 0, 4);

	printf("sector %" PRIu64 " (byte offset %" PRIu64 ")\n", sector,
	       sector * STAMP_SECTOR_SIZE);
	printf("  magic    0x%016" PRIx64 "%s\n", magic,
	       magic == STAMP_MAGIC ? " (VBLKSTMP)" : " (not a stamp)");
	printf("  sector   %" PRIu64 "\n", nr);
	printf("  seed     %" PRIu64 "\n", seed);
	printf("  crc      0x%08x (computed 0x%08x)\n", crc, crc32c(0, copy, sizeof(copy)));
	printf("  gen      %u\n", gen);
	/* Showing, not judging: the sector's own seed and generation are the ones checked. */
	stamp_verify_detail(s, sizeof(s), sector, STAMP_ANY_SEED, STAMP_ANY_GEN, &m);
	printf("  check    %s\n", m.err ? stamp_describe(&m, why, sizeof(why)) : "ok");
	return m.err ? EXIT_MISMATCH : 0;
}

/*
 * Rebuild the logical image of a striped device (the kernel's md0=stripe):
 * chunk i of the device is chunk i / n of member i % n. The result can then
 * be checked with verify, since stamps record the device's own sectors.
 */
static int cmd_join(int argc, char **argv)
{
	u64 chunk, per_member = ~0ull, size;
	int n = argc - 2, out, fds[16];
	u8 *buf;

	if (argc < 3 || n > 16)
		usage();
	chunk = parse_size("chunk", argv[1]);
	if (!chunk || chunk % STAMP_SECTOR_SIZE)
		die("chunk %" PRIu64 " is not a positive multiple of 512", chunk);
	buf = malloc(chunk);
	if (!buf)
		die("out of memory");
	for (int i = 0; i < n; i++) {
		fds[i] = open_file(argv[2 + i], O_RDONLY, &size);
		if (size / chunk < per_member)
			per_member = size / chunk;
	}
	out = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		die("%s: %s", argv[0], strerror(errno));
	for (u64 c = 0; c < per_member * (u64)n; c++) {
		read_all(fds[c % n], argv[2 + c % n], buf, chunk, c / n * chunk);
		write_all(out, argv[0], buf, chunk, c * chunk);
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	close(out);
	free(buf);
	printf("OK: %" PRIu64 " chunks of %" PRIu64 " bytes from %d members\n", per_member * (u64)n,
	       chunk, n);
	return 0;
}

/*
 * Write an MBR with up to four primary partitions (type 0x83, Linux) into
 * the first sector, leaving the rest of the image as it is. START and SIZE
 * are byte counts; the table holds them in logical blocks (--block, 512 by
 * default), as the kernel reads them.
 */
static int cmd_mbr(int argc, char **argv)
{
	u8 sector[512] = {0};
	u64 block = 512, size;
	int fd, nr = 0;

	if (argc < 2)
		usage();
	fd = open_file(argv[0], O_RDWR, &size);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--block") && i + 1 < argc) {
			block = parse_size("block", argv[++i]);
			continue;
		}
		const char *plus = strchr(argv[i], '+');
		if (!plus || nr == 4)
			usage();
		char start_s[64];
		snprintf(start_s, sizeof(start_s), "%.*s", (int)(plus - argv[i]), argv[i]);
		u64 start = parse_size("start", start_s), len = parse_size("size", plus + 1);
		if (!block || start % block || len % block || !start)
			die("%s: partition %s is not whole %" PRIu64 "-byte blocks after block 0",
			    argv[0], argv[i], block);
		/* Allowed, so tests can show the kernel refusing such a table. */
		if (start + len > size)
			fprintf(stderr, "%s: warning: partition %s ends past the image\n", argv[0],
				argv[i]);
		u8 *e = sector + 446 + 16 * nr++;
		u32 lba = (u32)(start / block), count = (u32)(len / block);
		e[4] = 0x83;
		memcpy(e + 8, &lba, 4);
		memcpy(e + 12, &count, 4);
	}
	sector[510] = 0x55;
	sector[511] = 0xaa;
	write_all(fd, argv[0], sector, sizeof(sector), 0);
	close(fd);
	printf("OK: %d partitions\n", nr);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		usage();
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		usage();
	if (!strcmp(cmd, "create"))
		return cmd_create(argc - 2, argv + 2);
	if (!strcmp(cmd, "verify"))
		return cmd_verify(argc - 2, argv + 2);
	if (!strcmp(cmd, "zero"))
		return cmd_zero(argc - 2, argv + 2);
	if (!strcmp(cmd, "stamp"))
		return cmd_stamp(argc - 2, argv + 2);
	if (!strcmp(cmd, "show"))
		return cmd_show(argc - 2, argv + 2);
	if (!strcmp(cmd, "join"))
		return cmd_join(argc - 2, argv + 2);
	if (!strcmp(cmd, "mbr"))
		return cmd_mbr(argc - 2, argv + 2);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
	usage();
	return EXIT_USAGE;
}
