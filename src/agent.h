/* SPDX-License-Identifier: MIT */
#ifndef TLSSCOPE_AGENT_H
#define TLSSCOPE_AGENT_H

#include "cli.h"

/* Loads, attaches and runs until a signal or --duration. Returns the process exit status. */
int agent_run(const struct config *cfg);

#endif
