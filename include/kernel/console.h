/* SPDX-License-Identifier: MIT */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include "kernel/types.h"

void console_init(void);
void console_write(const char *s, size_t len);

#endif
