/* SPDX-License-Identifier: MIT */
/*
 * Puts the handshake classifier on interfaces and keeps it there: every interface of the
 * agent's network namespace that is up (or only those named with -i), including ones that
 * appear later. tcx links are preferred: the kernel removes them when the agent dies. With
 * clsact, our filters have a fixed handle and priority, so a stale one left by a killed agent
 * is replaced, not duplicated; only what we attached is removed. On `lo` only egress is
 * watched: every packet crosses egress and then ingress, and egress is where the sender is
 * known.
 */
#ifndef TLSSCOPE_TCATTACH_H
#define TLSSCOPE_TCATTACH_H

#include "cli.h"

struct tcattach;

/* Returns NULL with errno set. Nothing is attached until tcattach_sync. */
struct tcattach *tcattach_new(int prog_ingress, int prog_egress, enum tc_mode mode,
			      const char *const *names, unsigned int nnames);
/* Attaches to every interface that qualifies and is not yet watched; drops vanished ones. */
void tcattach_sync(struct tcattach *ta);
/* A netlink socket that becomes readable when interfaces change: then call tcattach_event. */
int tcattach_fd(const struct tcattach *ta);
void tcattach_event(struct tcattach *ta);
/* Interfaces watched now, and attach attempts that failed. */
unsigned int tcattach_count(const struct tcattach *ta);
unsigned int tcattach_failed(const struct tcattach *ta);
/* "tcx" or "clsact": how the classifier is attached. */
const char *tcattach_mode(const struct tcattach *ta);
/* The name of a watched interface, or NULL. */
const char *tcattach_name(const struct tcattach *ta, unsigned int ifindex);
/* Detaches everything this agent attached, and frees ta. */
void tcattach_free(struct tcattach *ta);

#endif
