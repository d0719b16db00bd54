/* SPDX-License-Identifier: MIT */
/*
 * ACPI table discovery. Firmware tables are input like any other: every
 * table's length and checksum are checked before a field is read, and a bad
 * table is reported and skipped rather than trusted.
 */
#include "kernel/acpi.h"
#include "kernel/cpu.h"
#include "kernel/io.h"
#include "kernel/platform.h"
#include "kernel/string.h"

struct acpi_info acpi;

struct rsdp {
	char signature[8];
	u8 checksum;
	char oem_id[6];
	u8 revision;
	u32 rsdt_addr;
	u32 length; /* revision >= 2 */
	u64 xsdt_addr;
	u8 ext_checksum;
	u8 reserved[3];
} __packed;

struct sdt_header {
	char signature[4];
	u32 length;
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;

struct madt {
	struct sdt_header h;
	u32 lapic_addr;
	u32 flags;
} __packed;

#define MADT_PCAT_COMPAT 1
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_ISO 2
#define MADT_LAPIC_OVERRIDE 5
#define MADT_X2APIC 9
#define MADT_LAPIC_ENABLED 1

/* FADT field offsets (ACPI 6.4, table 5.9). */
#define FADT_DSDT 40
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM1B_CNT_BLK 68
#define FADT_PM_TMR_BLK 76
#define FADT_FLAGS 112
#define FADT_X_DSDT 140
#define FADT_SLEEP_CONTROL_REG 244 /* a Generic Address Structure (ACPI 6.4, 5.2.3.2) */
#define FADT_FLAG_TMR_VAL_EXT (1u << 8)
#define FADT_FLAG_HW_REDUCED_ACPI (1u << 20)
#define GAS_SYSTEM_MEMORY 0
#define GAS_SYSTEM_IO 1
/* The sleep control register of hardware-reduced ACPI (ACPI 6.4, 4.8.3.7). */
#define SLEEP_CTL_SLP_TYP_SHIFT 2
#define SLEEP_CTL_SLP_TYP_MASK 0x1c
#define SLEEP_CTL_SLP_EN 0x20

#define PM1_SLP_EN (1u << 13)
#define PM1_SLP_TYP_SHIFT 10

static u8 checksum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

static const struct rsdp *rsdp_scan(u64 start, u64 len)
{
	for (u64 a = start; a + sizeof(struct rsdp) <= start + len; a += 16) {
		const struct rsdp *r = (const void *)(uintptr_t)a;
		if (!memcmp(r->signature, "RSD PTR ", 8) && !checksum(r, 20))
			return r;
	}
	return NULL;
}

static const struct rsdp *rsdp_find(u64 hint)
{
	const struct rsdp *r;
	u64 ebda;

	if (hint) {
		r = (const void *)(uintptr_t)hint;
		if (!memcmp(r->signature, "RSD PTR ", 8) && !checksum(r, 20))
			return r;
		pr_warn("acpi: the loader's RSDP at %#lx is invalid; searching", hint);
	}
	/* ACPI 6.4, 5.2.5.1: the first KiB of the EBDA, then the BIOS ROM. */
	ebda = (u64)(*(const u16 *)(uintptr_t)0x40e) << 4;
	if (ebda >= 0x80000 && ebda < 0xa0000 && (r = rsdp_scan(ebda, 1024)))
		return r;
	return rsdp_scan(0xe0000, 0x20000);
}

static const struct sdt_header *table_map(u64 addr, const char *what)
{
	const struct sdt_header *h = (const void *)(uintptr_t)addr;

	if (!addr || addr >= GiB(4)) {
		pr_warn("acpi: %s at %#lx is outside the identity map", what, addr);
		return NULL;
	}
	if (h->length < sizeof(*h) || h->length > MiB(1)) {
		pr_warn("acpi: table %.4s has bad length %u", h->signature, h->length);
		return NULL;
	}
	if (checksum(h, h->length)) {
		pr_warn("acpi: table %.4s has a bad checksum", h->signature);
		return NULL;
	}
	return h;
}

static void parse_madt(const struct madt *m)
{
	const u8 *p = (const u8 *)(m + 1);
	const u8 *end = (const u8 *)m + m->h.length;

	acpi.lapic_addr = m->lapic_addr;
	acpi.has_8259 = m->flags & MADT_PCAT_COMPAT;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		switch (p[0]) {
		case MADT_LAPIC:
			/*
			 * Every processor entry is a possible CPU, enabled or
			 * not: QEMU lists the ones -smp's maxcpus allows as
			 * disabled entries (ACPI 6.4, 5.2.12.2). An entry is
			 * processor UID, APIC ID, flags.
			 */
			if (p[1] >= 8) {
				acpi.nr_possible_cpus++;
				if (p[4] & MADT_LAPIC_ENABLED) {
					if (acpi.nr_cpus < ACPI_MAX_CPUS)
						acpi.cpu_apic_id[acpi.nr_cpus] = p[3];
					acpi.nr_cpus++;
				}
			}
			break;
		case MADT_X2APIC:
			if (p[1] >= 16)
				acpi.nr_possible_cpus++;
			break;
		case MADT_IOAPIC:
			if (p[1] >= 12 && acpi.nr_ioapics < ACPI_MAX_IOAPICS) {
				struct acpi_ioapic *io = &acpi.ioapic[acpi.nr_ioapics++];
				io->id = p[2];
				memcpy(&io->addr, p + 4, 4);
				io->addr &= 0xffffffffu;
				memcpy(&io->gsi_base, p + 8, 4);
			}
			break;
		case MADT_ISO:
			if (p[1] >= 10 && p[2] == 0 && acpi.nr_iso < ACPI_MAX_OVERRIDES) {
				struct acpi_override *o = &acpi.iso[acpi.nr_iso++];
				o->source = p[3];
				memcpy(&o->gsi, p + 4, 4);
				memcpy(&o->flags, p + 8, 2);
			}
			break;
		case MADT_LAPIC_OVERRIDE:
			if (p[1] >= 12)
				memcpy(&acpi.lapic_addr, p + 4, 8);
			break;
		}
		p += p[1];
	}
}

/* Decode one AML integer of \_S5's package: ZeroOp, OneOp or BytePrefix. */
static const u8 *aml_small_int(const u8 *p, const u8 *end, u16 *out)
{
	if (p >= end)
		return NULL;
	if (*p == 0x00 || *p == 0x01) {
		*out = *p;
		return p + 1;
	}
	if (*p == 0x0a && p + 1 < end) {
		*out = p[1];
		return p + 2;
	}
	return NULL;
}

/*
 * The S5 sleep type lives in AML (\_S5 = Package { SLP_TYPa, SLP_TYPb, ...}).
 * Rather than run an interpreter, find the name and decode the package's
 * first two small integers, which is the form firmware uses for it.
 */
static void find_s5(const struct sdt_header *dsdt)
{
	const u8 *p = (const u8 *)(dsdt + 1);
	const u8 *end = (const u8 *)dsdt + dsdt->length;

	for (; p + 8 < end; p++) {
		if (memcmp(p, "_S5_", 4) || p[4] != 0x12) /* PackageOp */
			continue;
		const u8 *q = p + 5;
		q += ((*q >> 6) & 3) + 1; /* PkgLength */
		q++;			  /* NumElements */
		if ((q = aml_small_int(q, end, &acpi.s5_slp_typa)) &&
		    aml_small_int(q, end, &acpi.s5_slp_typb))
			acpi.s5_valid = true;
		return;
	}
}

static void parse_fadt(const struct sdt_header *f)
{
	const u8 *b = (const u8 *)f;
	u32 v32;
	u64 dsdt = 0;

	if (f->length >= FADT_PM_TMR_BLK + 4) {
		memcpy(&v32, b + FADT_PM1A_CNT_BLK, 4);
		acpi.pm1a_cnt_port = (u16)v32;
		memcpy(&v32, b + FADT_PM1B_CNT_BLK, 4);
		acpi.pm1b_cnt_port = (u16)v32;
		memcpy(&v32, b + FADT_PM_TMR_BLK, 4);
		acpi.pm_timer_port = (u16)v32;
	}
	if (f->length >= FADT_FLAGS + 4) {
		memcpy(&v32, b + FADT_FLAGS, 4);
		acpi.pm_timer_32bit = v32 & FADT_FLAG_TMR_VAL_EXT;
		acpi.hw_reduced = v32 & FADT_FLAG_HW_REDUCED_ACPI;
	}
	/* Hardware-reduced ACPI (microvm's GED) sleeps through this register. */
	if (f->length >= FADT_SLEEP_CONTROL_REG + 12) {
		const u8 *gas = b + FADT_SLEEP_CONTROL_REG;

		if (gas[0] == GAS_SYSTEM_MEMORY || gas[0] == GAS_SYSTEM_IO) {
			acpi.sleep_ctl_io = gas[0] == GAS_SYSTEM_IO;
			memcpy(&acpi.sleep_ctl_addr, gas + 4, 8);
		}
	}
	if (f->length >= FADT_X_DSDT + 8)
		memcpy(&dsdt, b + FADT_X_DSDT, 8);
	if (!dsdt) {
		memcpy(&v32, b + FADT_DSDT, 4);
		dsdt = v32;
	}
	const struct sdt_header *d = table_map(dsdt, "DSDT");
	if (d) {
		find_s5(d);
		acpi.dsdt = d;
	}
}

static void parse_mcfg(const struct sdt_header *h)
{
	/* One allocation entry (16 bytes) after 8 reserved bytes. */
	const u8 *e = (const u8 *)(h + 1) + 8;
	u16 segment;

	if (h->length < sizeof(*h) + 8 + 16)
		return;
	memcpy(&segment, e + 8, 2);
	if (segment != 0)
		return;
	memcpy(&acpi.mcfg_base, e, 8);
	acpi.mcfg_bus_start = e[10];
	acpi.mcfg_bus_end = e[11];
}

/*
 * The HPET description table (IA-PC HPET specification 1.0a, table 3):
 * after the header, the event timer block ID (4 bytes) and the base
 * address, a Generic Address Structure whose 64-bit address is 4 bytes in.
 */
#define HPET_TABLE_BASE 40
#define HPET_TABLE_LEN (HPET_TABLE_BASE + 12)

static void parse_hpet(const struct sdt_header *h)
{
	const u8 *b = (const u8 *)h;
	u64 addr;

	if (h->length < HPET_TABLE_LEN || b[HPET_TABLE_BASE] != GAS_SYSTEM_MEMORY)
		return;
	memcpy(&addr, b + HPET_TABLE_BASE + 4, 8);
	/* Its registers fill 1 KiB; a base not aligned to it is not one. */
	if (addr && !(addr & 0x3ff))
		acpi.hpet_base = addr;
}

static void parse_table(const struct sdt_header *h)
{
	if (!memcmp(h->signature, "APIC", 4))
		parse_madt((const struct madt *)h);
	else if (!memcmp(h->signature, "FACP", 4))
		parse_fadt(h);
	else if (!memcmp(h->signature, "MCFG", 4))
		parse_mcfg(h);
	else if (!memcmp(h->signature, "HPET", 4))
		parse_hpet(h);
}

int acpi_init(u64 rsdp_hint)
{
	const struct rsdp *r = rsdp_find(rsdp_hint);
	const struct sdt_header *root;
	bool xsdt;
	unsigned n;

	if (!r) {
		pr_warn("acpi: no RSDP found");
		return -ENODEV;
	}
	acpi.revision = r->revision;
	xsdt = r->revision >= 2 && r->xsdt_addr;
	root = table_map(xsdt ? r->xsdt_addr : r->rsdt_addr, xsdt ? "XSDT" : "RSDT");
	if (!root)
		return -EINVAL;

	n = (root->length - sizeof(*root)) / (xsdt ? 8 : 4);
	for (unsigned i = 0; i < n; i++) {
		const u8 *entries = (const u8 *)(root + 1);
		u64 addr = 0;
		memcpy(&addr, entries + i * (xsdt ? 8 : 4), xsdt ? 8 : 4);
		const struct sdt_header *h = table_map(addr, "table");
		if (h)
			parse_table(h);
	}
	acpi.present = true;
	if (!acpi.lapic_addr)
		acpi.lapic_addr = 0xfee00000;
	return 0;
}

void acpi_isa_irq(u8 irq, u32 *gsi, bool *level, bool *active_low)
{
	*gsi = irq;
	*level = false;
	*active_low = false;
	for (unsigned i = 0; i < acpi.nr_iso; i++) {
		const struct acpi_override *o = &acpi.iso[i];
		if (o->source != irq)
			continue;
		*gsi = o->gsi;
		/* "Conforms to the bus" (0) means ISA's edge, active high. */
		*level = (o->flags & ACPI_TRIGGER_MASK) == ACPI_TRIGGER_LEVEL;
		*active_low = (o->flags & ACPI_POLARITY_MASK) == ACPI_POLARITY_LOW;
		return;
	}
}

void acpi_poweroff(void)
{
	if (acpi.s5_valid && acpi.hw_reduced && acpi.sleep_ctl_addr) {
		u8 v = (u8)(((acpi.s5_slp_typa << SLEEP_CTL_SLP_TYP_SHIFT) &
			     SLEEP_CTL_SLP_TYP_MASK) |
			    SLEEP_CTL_SLP_EN);

		if (acpi.sleep_ctl_io) {
			outb((u16)acpi.sleep_ctl_addr, v);
		} else {
			volatile u8 *r = ioremap(acpi.sleep_ctl_addr, 1);
			if (r)
				writeb(v, r);
		}
		return;
	}
	if (!acpi.s5_valid || !acpi.pm1a_cnt_port)
		return;
	outw(acpi.pm1a_cnt_port, (u16)(acpi.s5_slp_typa << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
	if (acpi.pm1b_cnt_port)
		outw(acpi.pm1b_cnt_port, (u16)(acpi.s5_slp_typb << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
}

/* An AML PkgLength (ACPI 6.4, 20.2.4): the length, counting its own bytes. */
static const u8 *aml_pkglength(const u8 *p, const u8 *end, u32 *len)
{
	unsigned extra;

	if (p >= end)
		return NULL;
	extra = *p >> 6;
	if (p + 1 + extra > end)
		return NULL;
	if (!extra) {
		*len = *p & 0x3f;
		return p + 1;
	}
	*len = *p & 0x0f;
	for (unsigned i = 0; i < extra; i++)
		*len |= (u32)p[1 + i] << (4 + 8 * i);
	return p + 1 + extra;
}

/*
 * Within one Device's body: whether its _HID is the string @hid, and its
 * _CRS buffer's first Memory32Fixed (ACPI 6.4, 6.4.3.4) and Extended
 * Interrupt (6.4.3.6) descriptors.
 */
static bool device_matches(const u8 *p, const u8 *end, const char *hid, struct acpi_fixed_dev *d)
{
	size_t n = strlen(hid);
	bool have_hid = false, have_mem = false, have_irq = false;

	for (const u8 *q = p; q + 5 + n + 2 <= end; q++) {
		/* NameOp "_HID" StringPrefix hid NUL */
		if (!memcmp(q, "\x08_HID\x0d", 6) && !memcmp(q + 6, hid, n) && q[6 + n] == 0) {
			have_hid = true;
			break;
		}
	}
	if (!have_hid)
		return false;
	for (const u8 *q = p; q + 9 <= end && !(have_mem && have_irq); q++) {
		if (!have_mem && q + 12 <= end && q[0] == 0x86 && q[1] == 0x09 && q[2] == 0x00) {
			u32 base, len;
			memcpy(&base, q + 4, 4);
			memcpy(&len, q + 8, 4);
			d->base = base;
			d->size = len;
			have_mem = true;
		} else if (!have_irq && q[0] == 0x89 && q[1] >= 6 && q[2] == 0 && q[4] >= 1) {
			memcpy(&d->irq, q + 5, 4);
			d->level = !(q[3] & 0x02); /* bit 1: edge */
			d->active_low = q[3] & 0x04;
			have_irq = true;
		}
	}
	return have_mem && have_irq;
}

unsigned acpi_find_fixed_devices(const char *hid, struct acpi_fixed_dev *out, unsigned max)
{
	const struct sdt_header *dsdt = acpi.dsdt;
	const u8 *p, *end;
	unsigned found = 0;

	if (!dsdt)
		return 0;
	p = (const u8 *)(dsdt + 1);
	end = (const u8 *)dsdt + dsdt->length;
	for (; p + 2 < end && found < max; p++) {
		const u8 *body, *body_end;
		u32 len;

		/* DeviceOp PkgLength NameString ... */
		if (p[0] != 0x5b || p[1] != 0x82)
			continue;
		body = aml_pkglength(p + 2, end, &len);
		if (!body || len < 5 || p + 2 + len > end)
			continue;
		body_end = p + 2 + len;
		if (device_matches(body + 4, body_end, hid, &out[found])) {
			memcpy(out[found].name, body, 4);
			out[found].name[4] = '\0';
			found++;
		}
	}
	return found;
}
