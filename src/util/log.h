/* SPDX-License-Identifier: MIT */
#ifndef TLSSCOPE_LOG_H
#define TLSSCOPE_LOG_H

enum log_level { LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages at or below this level are printed (to stderr); -v raises it. */
extern int log_level;

void log_printf(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_warn(...)  log_printf(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_printf(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)

#endif
