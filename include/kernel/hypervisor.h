/* SPDX-License-Identifier: MIT */
#ifndef KERNEL_HYPERVISOR_H
#define KERNEL_HYPERVISOR_H

/* "tcg", "kvm", "none" or "unknown", from the hypervisor CPUID leaf. */
const char *accel_name(void);

#endif
