/* SPDX-License-Identifier: MIT */
/* Names for the error codes of include/kernel/errno.h, for messages. */
#include "kernel/errno.h"

/*
 * Takes the code either way round, since callers hold the negated value
 * they were returned. A code without a name gets one shared placeholder;
 * a formatted number would need a buffer that outlives the call.
 */
const char *errno_name(int err)
{
	/* Unsigned, so that negating INT_MIN is defined. */
	switch (err < 0 ? 0u - (unsigned)err : (unsigned)err) {
	case 0:
		return "OK";
	case EPERM:
		return "EPERM";
	case ENOENT:
		return "ENOENT";
	case EIO:
		return "EIO";
	case E2BIG:
		return "E2BIG";
	case EAGAIN:
		return "EAGAIN";
	case ENOMEM:
		return "ENOMEM";
	case EFAULT:
		return "EFAULT";
	case EBUSY:
		return "EBUSY";
	case EEXIST:
		return "EEXIST";
	case ENODEV:
		return "ENODEV";
	case EINVAL:
		return "EINVAL";
	case ENOSPC:
		return "ENOSPC";
	case EROFS:
		return "EROFS";
	case ERANGE:
		return "ERANGE";
	case ENOSYS:
		return "ENOSYS";
	case EPROTO:
		return "EPROTO";
	case EILSEQ:
		return "EILSEQ";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	default:
		return "E?";
	}
}
