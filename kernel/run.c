/* SPDX-License-Identifier: MIT */
/*
 * The run: every subsystem claims its command-line keys first, so that a
 * typo is reported before anything slow starts; then the work runs.
 */
#include "kernel/cmdline.h"
#include "kernel/kernel.h"
#include "kernel/platform.h"

static char fail_reason[256];

int kernel_fail(const char *fmt, ...)
{
	va_list ap;

	if (!fail_reason[0]) {
		va_start(ap, fmt);
		kvsnprintf(fail_reason, sizeof(fail_reason), fmt, ap);
		va_end(ap);
	}
	return -EIO;
}

const char *kernel_fail_reason(void)
{
	return fail_reason[0] ? fail_reason : "unknown failure";
}

int kernel_run(struct cmdline *cl, const char *const *ignored_keys)
{
	const char *test = cmdline_get(cl, 0, "test");
	int unknown;

	if (test && !selftest_known(test))
		return kernel_fail("unknown self test 'test=%s'", test);
	if (test)
		(void)cmdline_get(cl, 0, "timer_ms");

	unknown = cmdline_report_unused(cl, ignored_keys);
	if (unknown)
		return kernel_fail("%d unknown command-line key%s", unknown,
				   unknown == 1 ? "" : "s");
	if (test)
		return selftest_run(test, cl);
	return 0;
}
