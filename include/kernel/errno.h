/* SPDX-License-Identifier: MIT */
/*
 * Error codes. Functions return them negated (-EIO), as Linux does. The
 * values are Linux's, so host unit tests may include <errno.h> as well.
 */
#ifndef KERNEL_ERRNO_H
#define KERNEL_ERRNO_H

#define EPERM 1
#define ENOENT 2
#define EIO 5
#define E2BIG 7
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENODEV 19
#define EINVAL 22
#define ENOSPC 28
#define EROFS 30
#define ERANGE 34
#define ENOSYS 38
#define EPROTO 71
#define EILSEQ 84
#define EOPNOTSUPP 95
#define ETIMEDOUT 110

const char *errno_name(int err);

#endif
