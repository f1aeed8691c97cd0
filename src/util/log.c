// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>

#include "util/log.h"

int log_level = LOG_WARN;

void log_printf(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if ((int)level > log_level)
		return;
	fputs("tlsscope: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
