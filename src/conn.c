// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "conn.h"

#define TCP_LISTEN 0x0A
#define REFRESH_NS 1000000000ull

struct netns_listeners {
	uint32_t netns;
	uint64_t loaded_at; /* 0: filled by hand, never refreshed */
	struct tcp_entry *v;
	unsigned int n, cap;
};

struct listeners {
	struct netns_listeners *ns;
	unsigned int n, cap;
};

static int parse_hex_addr(const char *s, size_t digits, uint8_t *out)
{
	/* The kernel prints each 32-bit word of the address as a native-endian integer. */
	for (size_t w = 0; w < digits / 8; w++) {
		char word[9];
		char *end;
		uint32_t v;

		memcpy(word, s + w * 8, 8);
		word[8] = 0;
		v = strtoul(word, &end, 16);
		if (*end)
			return -EINVAL;
		memcpy(out + w * 4, &v, 4);
	}
	return 0;
}

int proc_net_tcp_parse(const char *line, int family, struct tcp_entry *out)
{
	size_t digits = family == AF_INET ? 8 : 32;
	const char *p = strchr(line, ':');
	unsigned int port, state;
	char rem[40];

	if (!p || (family != AF_INET && family != AF_INET6))
		return -EINVAL;
	p++;
	while (*p == ' ')
		p++;
	memset(out, 0, sizeof(*out));
	if (strlen(p) < digits + 1 || p[digits] != ':' || parse_hex_addr(p, digits, out->laddr))
		return -EINVAL;
	if (sscanf(p + digits + 1, "%x %39s %x", &port, rem, &state) != 3 || port > 65535 ||
	    state > 255)
		return -EINVAL;
	out->family = family;
	out->lport = port;
	out->state = state;
	return 0;
}

struct listeners *listeners__new(void)
{
	return calloc(1, sizeof(struct listeners));
}

void listeners__free(struct listeners *l)
{
	if (!l)
		return;
	for (unsigned int i = 0; i < l->n; i++)
		free(l->ns[i].v);
	free(l->ns);
	free(l);
}

static struct netns_listeners *get_ns(struct listeners *l, uint32_t netns)
{
	struct netns_listeners *ns;

	for (unsigned int i = 0; i < l->n; i++)
		if (l->ns[i].netns == netns)
			return &l->ns[i];
	if (l->n == l->cap) {
		unsigned int cap = l->cap ? l->cap * 2 : 8;

		ns = realloc(l->ns, cap * sizeof(*ns));
		if (!ns)
			return NULL;
		l->ns = ns;
		l->cap = cap;
	}
	ns = &l->ns[l->n++];
	memset(ns, 0, sizeof(*ns));
	ns->netns = netns;
	return ns;
}

static int ns_add(struct netns_listeners *ns, const struct tcp_entry *e)
{
	if (ns->n == ns->cap) {
		unsigned int cap = ns->cap ? ns->cap * 2 : 16;
		struct tcp_entry *v = realloc(ns->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ns->v = v;
		ns->cap = cap;
	}
	ns->v[ns->n++] = *e;
	return 0;
}

int listeners__add(struct listeners *l, uint32_t netns, const struct tcp_entry *e)
{
	struct netns_listeners *ns = get_ns(l, netns);

	return ns ? ns_add(ns, e) : -ENOMEM;
}

static int same(const struct tcp_entry *a, const struct tcp_entry *b)
{
	return a->family == b->family && a->lport == b->lport &&
	       !memcmp(a->laddr, b->laddr, sizeof(a->laddr));
}

/*
 * Adds the namespace's current listeners to what we knew. Never removes any: a listener
 * seen once still explains the connections it accepted, even after it closed or its
 * process exited. Returns 0, or -ENOENT when the process was gone.
 */
static int load(struct netns_listeners *ns, uint32_t pid, uint64_t now)
{
	static const struct {
		const char *file;
		int family;
	} files[] = {{"tcp", AF_INET}, {"tcp6", AF_INET6}};
	char path[64], line[256];
	int opened = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct tcp_entry e;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%u/net/%s", pid, files[i].file);
		f = fopen(path, "re");
		if (!f)
			continue;
		opened = 1;
		while (fgets(line, sizeof(line), f)) {
			unsigned int j;

			if (proc_net_tcp_parse(line, files[i].family, &e) || e.state != TCP_LISTEN)
				continue;
			for (j = 0; j < ns->n && !same(&ns->v[j], &e); j++)
				;
			if (j == ns->n)
				ns_add(ns, &e);
		}
		fclose(f);
	}
	if (!opened)
		return -ENOENT;
	ns->loaded_at = now;
	return 0;
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int listeners__load(struct listeners *l, uint32_t netns, uint32_t pid)
{
	struct netns_listeners *ns = get_ns(l, netns);

	return ns ? load(ns, pid, mono_now()) : -ENOMEM;
}

void listeners__load_all(struct listeners *l)
{
	struct dirent *d;
	DIR *dir = opendir("/proc");

	if (!dir)
		return;
	while ((d = readdir(dir))) {
		char path[64], *end;
		unsigned long pid = strtoul(d->d_name, &end, 10);
		struct stat st;

		if (*end || !pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%lu/ns/net", pid);
		if (stat(path, &st))
			continue;
		/* One process per namespace is enough: they all see the same table. */
		for (unsigned int i = 0; i < l->n; i++)
			if (l->ns[i].netns == st.st_ino && l->ns[i].loaded_at)
				goto next;
		listeners__load(l, st.st_ino, pid);
	next:;
	}
	closedir(dir);
}

/* The IPv4 address inside a v4-mapped IPv6 one, or the address itself. */
static const uint8_t *norm_addr(int family, const uint8_t *a, int *len)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (family == AF_INET6 && !memcmp(a, mapped, 12)) {
		*len = 4;
		return a + 12;
	}
	*len = family == AF_INET ? 4 : 16;
	return a;
}

static int is_any(const uint8_t *a, int len)
{
	for (int i = 0; i < len; i++)
		if (a[i])
			return 0;
	return 1;
}

static int holds(const struct tcp_entry *e, const struct conn_tuple *t)
{
	const uint8_t *la, *ta;
	int llen, tlen;

	if (e->lport != t->lport)
		return 0;
	la = norm_addr(e->family, e->laddr, &llen);
	ta = norm_addr(t->family, t->laddr, &tlen);
	if (is_any(la, llen))
		/* "0.0.0.0" takes IPv4 only; "::" takes both unless v6only (not visible here). */
		return llen == 16 || tlen == 4;
	return llen == tlen && !memcmp(la, ta, llen);
}

enum conn_role listeners__role(struct listeners *l, uint32_t netns, uint32_t pid,
			       const struct conn_tuple *t)
{
	struct netns_listeners *ns = get_ns(l, netns);
	uint64_t now;

	if (!ns)
		return ROLE_CLIENT;
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < ns->n; i++)
			if (holds(&ns->v[i], t))
				return ROLE_SERVER;
		/* Not found: the listener may be newer than our copy; reread once, rate-limited. */
		now = mono_now();
		if (pass || (ns->loaded_at && now - ns->loaded_at < REFRESH_NS) ||
		    load(ns, pid, now))
			break;
	}
	return ROLE_CLIENT;
}
