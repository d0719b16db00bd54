/* SPDX-License-Identifier: MIT */
/* Which accelerator runs this machine, for every reported figure. */
#include "kernel/cpu.h"
#include "kernel/hypervisor.h"
#include "kernel/string.h"

/* QEMU exposes its accelerator in the hypervisor CPUID leaf. */
const char *accel_name(void)
{
	u32 a, b, c, d;
	char sig[13];

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1u << 31)))
		return "none";
	cpuid(0x40000000, 0, &a, &b, &c, &d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = '\0';
	if (!memcmp(sig, "TCGTCGTCGTCG", 12))
		return "tcg";
	if (!memcmp(sig, "KVMKVMKVM", 9))
		return "kvm";
	return "unknown";
}
