/* SPDX-License-Identifier: MIT */
/*
 * --list: every process on the host that has TLS code, what the code is and how it is
 * linked, and whether tlsscope traces it, and if not, why. Loads no BPF program.
 */
#ifndef TLSSCOPE_LIST_H
#define TLSSCOPE_LIST_H

#include "cli.h"

/* Returns the exit status. */
int list_run(const struct config *cfg);

#endif
