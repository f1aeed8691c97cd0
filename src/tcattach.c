// SPDX-License-Identifier: MIT
#include "tcattach.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <bpf/libbpf.h>

#include "util/log.h"

/* Not in the uapi headers libbpf 1.1 builds against. */
#define ATTACH_TCX_INGRESS 46
#define ATTACH_TCX_EGRESS  47

/* Our clsact filters: one fixed handle and priority, on both hooks. */
#define OUR_HANDLE 0x715c
#define OUR_PRIO   0xc0de

#define MAX_WATCHED 1024

struct watched {
	unsigned int ifindex;
	char name[IF_NAMESIZE];
	int link_in, link_out; /* tcx links, -1 if none */
	int hooks;	       /* clsact: BPF_TC_INGRESS / BPF_TC_EGRESS bits attached */
	int own_qdisc;	       /* clsact: we created the qdisc */
	int seen;	       /* present in the last scan */
};

struct tcattach {
	int prog_in, prog_out;
	enum tc_mode mode; /* TC_TCX or TC_CLSACT once decided */
	const char *const *names;
	unsigned int nnames;
	int nl;
	struct watched w[MAX_WATCHED];
	unsigned int nw;
	unsigned int failed;
};

static int tcx_link(int prog, unsigned int ifindex, int type)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog;
	attr.link_create.target_ifindex = ifindex;
	attr.link_create.attach_type = type;
	return syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
}

static int clsact_attach(struct watched *w, int prog, enum bpf_tc_attach_point where)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = w->ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog, .handle = OUR_HANDLE, .priority = OUR_PRIO,
		    .flags = BPF_TC_F_REPLACE);
	int err;

	err = bpf_tc_attach(&hook, &opts);
	if (!err)
		w->hooks |= where;
	return err;
}

/* Filters on a clsact hook (parent ffff:fff2 or ffff:fff3) of ifindex; -1 if unknown. */
static int count_filters(unsigned int ifindex, unsigned int hook_min)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh = {.nlmsg_len = sizeof(req),
		       .nlmsg_type = RTM_GETTFILTER,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = 1},
		.tc = {.tcm_family = AF_UNSPEC,
		       .tcm_ifindex = ifindex,
		       .tcm_parent = TC_H_MAKE(TC_H_CLSACT, hook_min)},
	};
	char buf[16384];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int n = 0, done = 0;

	if (fd < 0 || send(fd, &req, sizeof(req), 0) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (!done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;

		if (len <= 0) {
			n = -1;
			break;
		}
		for (; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (nh->nlmsg_type == RTM_NEWTFILTER)
				n++;
		}
	}
	close(fd);
	return n;
}

static void clsact_detach(struct watched *w)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = w->ifindex);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = OUR_HANDLE, .priority = OUR_PRIO);

	for (int where = BPF_TC_INGRESS; where <= BPF_TC_EGRESS; where <<= 1) {
		if (!(w->hooks & where))
			continue;
		hook.attach_point = where;
		opts.prog_fd = opts.prog_id = opts.flags = 0;
		bpf_tc_detach(&hook, &opts);
	}
	w->hooks = 0;
	/* Our qdisc goes only if nobody added a filter to it meanwhile. */
	if (w->own_qdisc && !count_filters(w->ifindex, TC_H_MIN_INGRESS) &&
	    !count_filters(w->ifindex, TC_H_MIN_EGRESS)) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	w->own_qdisc = 0;
}

static int attach_one(struct tcattach *ta, struct watched *w)
{
	int lo = w->ifindex == 1; /* the loopback device is always ifindex 1 */
	int err;

	w->link_in = w->link_out = -1;
	if (ta->mode == TC_AUTO || ta->mode == TC_TCX) {
		w->link_out = tcx_link(ta->prog_out, w->ifindex, ATTACH_TCX_EGRESS);
		if (w->link_out >= 0 && !lo)
			w->link_in = tcx_link(ta->prog_in, w->ifindex, ATTACH_TCX_INGRESS);
		if (w->link_out >= 0 && (lo || w->link_in >= 0)) {
			ta->mode = TC_TCX;
			return 0;
		}
		err = -errno;
		if (w->link_out >= 0)
			close(w->link_out);
		w->link_in = w->link_out = -1;
		if (ta->mode == TC_TCX)
			return err;
		pr_debug("tcx on %s: %s; using clsact\n", w->name, strerror(-err));
		ta->mode = TC_CLSACT;
	}
	{
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = w->ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

		err = bpf_tc_hook_create(&hook);
		if (err && err != -EEXIST)
			return err;
		w->own_qdisc = !err;
	}
	err = clsact_attach(w, ta->prog_out, BPF_TC_EGRESS);
	if (!err && !lo)
		err = clsact_attach(w, ta->prog_in, BPF_TC_INGRESS);
	if (err)
		clsact_detach(w);
	return err;
}

static void detach_one(struct watched *w)
{
	if (w->link_in >= 0)
		close(w->link_in);
	if (w->link_out >= 0)
		close(w->link_out);
	w->link_in = w->link_out = -1;
	clsact_detach(w);
}

static int wanted(const struct tcattach *ta, const char *name)
{
	if (!ta->nnames)
		return 1;
	for (unsigned int i = 0; i < ta->nnames; i++)
		if (!strcmp(ta->names[i], name))
			return 1;
	return 0;
}

static int is_up(int s, const char *name)
{
	struct ifreq ifr = {0};

	strncpy(ifr.ifr_name, name, IF_NAMESIZE - 1);
	return !ioctl(s, SIOCGIFFLAGS, &ifr) && (ifr.ifr_flags & IFF_UP);
}

void tcattach_sync(struct tcattach *ta)
{
	struct if_nameindex *ifs = if_nameindex();
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	for (unsigned int i = 0; i < ta->nw; i++)
		ta->w[i].seen = 0;
	for (struct if_nameindex *it = ifs; it && it->if_index; it++) {
		struct watched *w = NULL;
		int err;

		for (unsigned int i = 0; i < ta->nw; i++)
			if (ta->w[i].ifindex == it->if_index)
				w = &ta->w[i];
		if (w) {
			w->seen = 1;
			continue;
		}
		if (!wanted(ta, it->if_name) || s < 0 || !is_up(s, it->if_name))
			continue;
		if (ta->nw == MAX_WATCHED) {
			ta->failed++;
			continue;
		}
		w = &ta->w[ta->nw];
		memset(w, 0, sizeof(*w));
		w->ifindex = it->if_index;
		snprintf(w->name, sizeof(w->name), "%s", it->if_name);
		err = attach_one(ta, w);
		if (err) {
			ta->failed++;
			pr_warn("cannot watch handshakes on %s: %s\n", w->name, strerror(-err));
			continue;
		}
		w->seen = 1;
		ta->nw++;
		pr_info("watching handshakes on %s (%s)\n", w->name, tcattach_mode(ta));
	}
	/* Vanished interfaces: the kernel took their filters; release our handles. */
	for (unsigned int i = 0; i < ta->nw;) {
		if (ta->w[i].seen) {
			i++;
			continue;
		}
		pr_info("interface %s is gone\n", ta->w[i].name);
		if (ta->w[i].link_in >= 0)
			close(ta->w[i].link_in);
		if (ta->w[i].link_out >= 0)
			close(ta->w[i].link_out);
		ta->w[i] = ta->w[--ta->nw];
	}
	if (s >= 0)
		close(s);
	if (ifs)
		if_freenameindex(ifs);
}

struct tcattach *tcattach_new(int prog_ingress, int prog_egress, enum tc_mode mode,
			      const char *const *names, unsigned int nnames)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	struct tcattach *ta = calloc(1, sizeof(*ta));

	if (!ta)
		return NULL;
	ta->prog_in = prog_ingress;
	ta->prog_out = prog_egress;
	ta->mode = mode;
	ta->names = names;
	ta->nnames = nnames;
	ta->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (ta->nl < 0 || bind(ta->nl, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = errno;

		if (ta->nl >= 0)
			close(ta->nl);
		free(ta);
		errno = err;
		return NULL;
	}
	return ta;
}

int tcattach_fd(const struct tcattach *ta)
{
	return ta->nl;
}

void tcattach_event(struct tcattach *ta)
{
	char buf[8192];
	int changed = 0;

	/* Any link message is a reason to look again; the scan is cheap and rare. */
	while (recv(ta->nl, buf, sizeof(buf), 0) > 0)
		changed = 1;
	if (changed)
		tcattach_sync(ta);
}

unsigned int tcattach_count(const struct tcattach *ta)
{
	return ta->nw;
}

unsigned int tcattach_failed(const struct tcattach *ta)
{
	return ta->failed;
}

const char *tcattach_mode(const struct tcattach *ta)
{
	return ta->mode == TC_CLSACT ? "clsact" : ta->mode == TC_TCX ? "tcx" : "none";
}

const char *tcattach_name(const struct tcattach *ta, unsigned int ifindex)
{
	for (unsigned int i = 0; ta && i < ta->nw; i++)
		if (ta->w[i].ifindex == ifindex)
			return ta->w[i].name;
	return NULL;
}

void tcattach_free(struct tcattach *ta)
{
	if (!ta)
		return;
	for (unsigned int i = 0; i < ta->nw; i++)
		detach_one(&ta->w[i]);
	close(ta->nl);
	free(ta);
}
