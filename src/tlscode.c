// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "elf_file.h"
#include "gopclntab.h"
#include "sites.h"
#include "tlscode.h"

const char *tls_linkage_name(enum tls_linkage l)
{
	switch (l) {
	case LINK_SHARED:
		return "shared";
	case LINK_STATIC:
		return "static";
	case LINK_STRIPPED:
		return "stripped";
	case LINK_GO:
		return "go";
	}
	return "unknown";
}

/*
 * The adapter's exported API: the first function of its fallback list. An adapter without
 * one (NSS: its functions have no names) is known by its file name only.
 */
static const char *api_of(const struct tls_adapter *ad)
{
	return ad->nfallback ? ad->fallback[0].sym : "";
}

/* "OpenSSL 3.0.19 27 Jan 2026" -> "3.0.19": the word after the prefix. */
static void find_version(struct elf_file *ef, const struct tls_adapter *ad, char *out, size_t len)
{
	char s[96];
	size_t n, plen;

	if (!ad->version_prefix || elf_file__find_string(ef, ad->version_prefix, 1, s, sizeof(s)))
		return;
	plen = strlen(ad->version_prefix);
	n = strcspn(s + plen, " ");
	if (n && n < len) {
		memcpy(out, s + plen, n);
		out[n] = 0;
	}
}

/* For a library whose version lives in a sibling file (libssl's is in libcrypto). */
static void find_sibling_version(const char *open_path, const struct tls_adapter *ad, char *out,
				 size_t len)
{
	const char *base = strrchr(open_path, '/'), *at;
	char path[PATH_MAX];
	struct elf_file *ef;

	base = base ? base + 1 : open_path;
	if (!ad->version_from || !(at = strstr(base, ad->version_from)))
		return;
	if (snprintf(path, sizeof(path), "%.*s%s%s", (int)(at - open_path), open_path,
		     ad->version_to, at + strlen(ad->version_from)) >= (int)sizeof(path))
		return;
	ef = elf_file__open(path);
	if (!ef)
		return;
	find_version(ef, ad, out, len);
	elf_file__close(ef);
}

static int identify(struct elf_file *ef, const struct tls_adapter *by_name, struct tls_code *out)
{
	const char *apis[16];
	unsigned int n = 0;
	char s[8];
	int i;

	if (by_name) {
		out->adapter = by_name;
		out->linkage = LINK_SHARED;
	} else {
		for (const struct tls_adapter *const *a = tls_adapters; *a && n < 16; a++)
			apis[n++] = api_of(*a);
		i = elf_file__defines_any(ef, apis, n);
		if (i >= 0) {
			char soname[256];

			out->adapter = tls_adapters[i];
			/* the library itself under another file name: its SONAME is still its own
			 */
			out->linkage = !elf_file__soname(ef, soname, sizeof(soname)) &&
						       tls_adapter_for_path(soname) == out->adapter
					       ? LINK_SHARED
					       : LINK_STATIC;
		}
	}
	if (out->adapter) {
		out->adapter =
			sites_adapter(ef, out->adapter); /* BoringSSL keeps OpenSSL's names */
		out->lib = out->adapter->name;
		find_version(ef, out->adapter, out->version, sizeof(out->version));
		return 1;
	}
	/* Go keeps function names in .gopclntab even when stripped (-s -w). */
	if (!elf_file__find_string(ef, "crypto/tls.(*Conn).Write", 0, s, sizeof(s))) {
		const uint8_t *info;
		size_t len;

		out->lib = "go";
		out->linkage = LINK_GO;
		if (!elf_file__section_data(ef, ".go.buildinfo", &info, &len))
			gopcln_go_version(info, len, out->version, sizeof(out->version));
		return 1;
	}
	for (const struct tls_adapter *const *a = tls_adapters; *a; a++) {
		if ((*a)->stripped_marker &&
		    !elf_file__find_string(ef, (*a)->stripped_marker, 0, s, sizeof(s))) {
			out->lib = (*a)->name;
			out->linkage = LINK_STRIPPED;
			find_version(ef, *a, out->version, sizeof(out->version));
			return 1;
		}
	}
	return 0;
}

int tlscode_identify(const char *open_path, const struct tls_adapter *by_name, struct tls_code *out)
{
	struct elf_file *ef = elf_file__open(open_path);
	int found;

	memset(out, 0, sizeof(*out));
	if (!ef)
		return -errno;
	found = identify(ef, by_name, out);
	elf_file__close(ef);
	if (found && !out->version[0] && out->linkage == LINK_SHARED)
		find_sibling_version(open_path, out->adapter, out->version, sizeof(out->version));
	return found;
}
