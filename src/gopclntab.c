// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "gopclntab.h"

/* Little-endian, x86-64 and arm64: the only byte order Go uses on both. */
static uint64_t word(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* tab[off, off + n) is inside the table. */
static int inside(const struct gopcln *p, uint64_t off, uint64_t n)
{
	return off <= p->len && n <= p->len - off;
}

int gopcln_init(struct gopcln *p, const uint8_t *tab, size_t len)
{
	unsigned int hdr_words;
	uint32_t magic;
	const uint8_t *h;

	memset(p, 0, sizeof(*p));
	if (len < 8)
		return -EINVAL;
	magic = (uint32_t)word(tab, 4);
	if (magic == 0xfffffffa)
		p->go = 116;
	else if (magic == 0xfffffff0)
		p->go = 118;
	else if (magic == 0xfffffff1)
		p->go = 120;
	else
		return magic == 0xfffffffb ? -ENOTSUP : -EINVAL;
	p->ptr = tab[7];
	if (tab[4] || tab[5] || (p->ptr != 4 && p->ptr != 8))
		return -EINVAL;
	p->tab = tab;
	p->len = len;
	/* nfunc, nfiles, [textStart,] funcnameOffset, cuOffset, filetabOffset, pctabOffset,
	 * pclnOffset */
	hdr_words = p->go >= 118 ? 8 : 7;
	if (!inside(p, 8, (uint64_t)hdr_words * p->ptr))
		return -EINVAL;
	h = tab + 8;
	p->nfunc = word(h, p->ptr);
	if (p->go >= 118) {
		p->text = word(h + 2 * p->ptr, p->ptr);
		h += p->ptr;
	}
	p->names = word(h + 2 * p->ptr, p->ptr);
	p->functab = word(h + 6 * p->ptr, p->ptr);
	/* one entry per function and the end sentinel */
	if (p->nfunc > len ||
	    !inside(p, p->functab, (p->nfunc + 1) * (p->go >= 118 ? 8ull : 2ull * p->ptr)) ||
	    !inside(p, p->names, 0))
		return -EINVAL;
	return 0;
}

/* Function i's entry address and its _func's offset from the function table. */
static void entry_of(const struct gopcln *p, uint64_t i, uint64_t *entry, uint64_t *func)
{
	const uint8_t *e;

	if (p->go >= 118) {
		e = p->tab + p->functab + 8 * i;
		*entry = p->text + word(e, 4);
		*func = word(e + 4, 4);
	} else {
		e = p->tab + p->functab + 2 * p->ptr * i;
		*entry = word(e, p->ptr);
		*func = word(e + p->ptr, p->ptr);
	}
}

/* The name of function i, or NULL when its record does not hold. */
static const char *name_of(const struct gopcln *p, uint64_t i)
{
	uint64_t entry, func, rec, nameoff, at;
	unsigned int first = p->go >= 118 ? 4 : p->ptr;

	entry_of(p, i, &entry, &func);
	rec = p->functab + func;
	if (rec < p->functab || !inside(p, rec, first + 4))
		return NULL;
	nameoff = word(p->tab + rec + first, 4);
	at = p->names + nameoff;
	if (at < p->names || !inside(p, at, 1) || !memchr(p->tab + at, 0, p->len - at))
		return NULL;
	return (const char *)p->tab + at;
}

int gopcln_find(const struct gopcln *p, const char *name, uint64_t *entry, uint64_t *end)
{
	for (uint64_t i = 0; i < p->nfunc; i++) {
		const char *n = name_of(p, i);
		uint64_t func;

		if (!n || strcmp(n, name))
			continue;
		entry_of(p, i, entry, &func);
		entry_of(p, i + 1, end, &func);
		return *end > *entry ? 0 : -EINVAL;
	}
	return -ENOENT;
}

int gopcln_go_version(const uint8_t *info, size_t len, char *out, size_t outlen)
{
	static const char magic[] = "\xff Go buildinf:";
	uint64_t n = 0;
	size_t at = 32;
	unsigned int shift = 0;

	if (len < 33 || memcmp(info, magic, sizeof(magic) - 1) || !(info[15] & 2))
		return -ENOENT; /* before 1.18 the string is behind pointers: not read */
	/* a uvarint length, then the bytes */
	while (at < len && shift < 35) {
		n |= (uint64_t)(info[at] & 0x7f) << shift;
		shift += 7;
		if (!(info[at++] & 0x80))
			break;
	}
	if (n < 2 || n >= outlen || n > len - at || memcmp(info + at, "go", 2))
		return -ENOENT;
	memcpy(out, info + at, n);
	out[n] = 0;
	return 0;
}
