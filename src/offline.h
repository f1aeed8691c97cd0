/* SPDX-License-Identifier: MIT */
/*
 * --read FILE: the handshake path without the kernel. Segments from a capture file go
 * through the same tracker, parser and fingerprints as live ones, and out through the sinks.
 */
#ifndef TLSSCOPE_OFFLINE_H
#define TLSSCOPE_OFFLINE_H

#include "cli.h"

/* Returns the process exit status: 0, or 1 when the file cannot be read. */
int offline_run(const struct config *cfg);

#endif
