// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_file.h"

struct elf_file {
	int fd;
	Elf *elf;
};

struct elf_file *elf_file__open(const char *path)
{
	struct elf_file *ef;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = EINVAL;
		return NULL;
	}
	ef = calloc(1, sizeof(*ef));
	if (!ef)
		return NULL;
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0)
		goto err;
	ef->elf = elf_begin(ef->fd, ELF_C_READ_MMAP, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF) {
		errno = ENOEXEC;
		goto err;
	}
	return ef;
err:
	elf_file__close(ef);
	return NULL;
}

void elf_file__close(struct elf_file *ef)
{
	int saved = errno;

	if (!ef)
		return;
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	free(ef);
	errno = saved;
}

static int name_matches(const char *sym, const char *name, size_t len)
{
	return !strncmp(sym, name, len) && (sym[len] == 0 || sym[len] == '@');
}

/*
 * Calls fn(ctx, name, sym) for every defined function symbol in the sections of that type
 * (.symtab or .dynsym) until it returns non-zero, which is then returned; else 0.
 */
static int each_func(struct elf_file *ef, Elf64_Word type,
		     int (*fn)(void *ctx, const char *name, const GElf_Sym *sym), void *ctx)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			const char *s;
			GElf_Sym sym;
			int stop;

			if (!gelf_getsym(data, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !sym.st_value || sym.st_shndx == SHN_UNDEF)
				continue;
			s = elf_strptr(ef->elf, sh.sh_link, sym.st_name);
			if (s && (stop = fn(ctx, s, &sym)))
				return stop;
		}
	}
	return 0;
}

struct func_query {
	const char *name;
	size_t len;
	uint64_t addr, size;
};

static int is_query(void *ctx, const char *name, const GElf_Sym *sym)
{
	struct func_query *q = ctx;

	if (!name_matches(name, q->name, q->len))
		return 0;
	q->addr = sym->st_value;
	q->size = sym->st_size;
	return 1;
}

static int find_in(struct elf_file *ef, Elf64_Word type, const char *name, uint64_t *addr,
		   uint64_t *size)
{
	struct func_query q = {.name = name, .len = strlen(name)};

	if (!each_func(ef, type, is_query, &q))
		return -ENOENT;
	*addr = q.addr;
	*size = q.size;
	return 0;
}

int elf_file__func(struct elf_file *ef, const char *name, uint64_t *addr, uint64_t *size)
{
	if (!find_in(ef, SHT_SYMTAB, name, addr, size))
		return 0;
	return find_in(ef, SHT_DYNSYM, name, addr, size);
}

static int segment(struct elf_file *ef, uint64_t addr, GElf_Phdr *out)
{
	size_t n;

	if (elf_getphdrnum(ef->elf, &n))
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(ef->elf, i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
		    addr >= ph.p_vaddr && addr < ph.p_vaddr + ph.p_filesz) {
			*out = ph;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_file__offset(struct elf_file *ef, uint64_t addr, uint64_t *off)
{
	GElf_Phdr ph;

	if (segment(ef, addr, &ph))
		return -ENOENT;
	*off = addr - ph.p_vaddr + ph.p_offset;
	return 0;
}

/*
 * Code is read with pread, not through libelf's mapping: the kernel writes a live uprobe's
 * int3 into every mapping of the file that may execute, including a read-only one of ours,
 * and we want the instruction the probe replaces, not the probe.
 */
size_t elf_file__read(struct elf_file *ef, uint64_t addr, void *buf, size_t n)
{
	GElf_Phdr ph;
	uint64_t avail;
	ssize_t got;

	if (segment(ef, addr, &ph))
		return 0;
	avail = ph.p_vaddr + ph.p_filesz - addr;
	if (n > avail)
		n = avail;
	got = pread(ef->fd, buf, n, addr - ph.p_vaddr + ph.p_offset);
	return got > 0 ? (size_t)got : 0;
}

struct any_query {
	const char *const *names;
	unsigned int n;
	int best; /* the earliest in names seen so far, or -ENOENT */
};

static int is_any(void *ctx, const char *name, const GElf_Sym *sym)
{
	struct any_query *q = ctx;

	(void)sym;
	for (unsigned int k = 0; k < q->n && (q->best < 0 || (int)k < q->best); k++)
		if (q->names[k][0] && name_matches(name, q->names[k], strlen(q->names[k])))
			q->best = k;
	return q->best == 0; /* nothing comes before the first */
}

static int scan_defines(struct elf_file *ef, Elf64_Word type, const char *const *names,
			unsigned int n)
{
	struct any_query q = {.names = names, .n = n, .best = -ENOENT};

	each_func(ef, type, is_any, &q);
	return q.best;
}

int elf_file__defines_any(struct elf_file *ef, const char *const *names, unsigned int n)
{
	int i = scan_defines(ef, SHT_DYNSYM, names, n);

	return i >= 0 ? i : scan_defines(ef, SHT_SYMTAB, names, n);
}

/* The section called name, or NULL; *sh gets its header. */
static Elf_Scn *find_section(struct elf_file *ef, const char *name, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const char *s;

	if (elf_getshdrstrndx(ef->elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(ef->elf, scn)))
		if (gelf_getshdr(scn, sh) && (s = elf_strptr(ef->elf, shstrndx, sh->sh_name)) &&
		    !strcmp(s, name))
			return scn;
	return NULL;
}

int elf_file__section_data(struct elf_file *ef, const char *name, const uint8_t **data, size_t *len)
{
	GElf_Shdr sh;
	Elf_Scn *scn = find_section(ef, name, &sh);
	Elf_Data *d;

	if (!scn || sh.sh_type != SHT_PROGBITS || !(d = elf_getdata(scn, NULL)) || !d->d_buf)
		return -ENOENT;
	*data = d->d_buf;
	*len = d->d_size;
	return 0;
}

int elf_file__soname(struct elf_file *ef, char *out, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			const char *s;
			GElf_Dyn dyn;

			if (!gelf_getdyn(data, i, &dyn) || dyn.d_tag != DT_SONAME)
				continue;
			s = elf_strptr(ef->elf, sh.sh_link, dyn.d_un.d_val);
			if (!s || strlen(s) >= len)
				return -ENOENT;
			strcpy(out, s);
			return 0;
		}
	}
	return -ENOENT;
}

int elf_file__section(struct elf_file *ef, const char *name, uint64_t *addr, uint64_t *size)
{
	GElf_Shdr sh;

	if (!find_section(ef, name, &sh))
		return -ENOENT;
	*addr = sh.sh_addr;
	*size = sh.sh_size;
	return 0;
}

/* "3.0.19 ...": three dot-separated numbers begin at p. */
static int is_version(const char *p, const char *end)
{
	for (int part = 0; part < 3; part++) {
		if (part && (p >= end || *p++ != '.'))
			return 0;
		if (p >= end || !isdigit((unsigned char)*p))
			return 0;
		while (p < end && isdigit((unsigned char)*p))
			p++;
	}
	return 1;
}

int elf_file__find_string(struct elf_file *ef, const char *needle, int version_after, char *out,
			  size_t len)
{
	size_t nlen = strlen(needle);
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		const char *hit, *base, *end;
		Elf_Data *data;
		GElf_Shdr sh;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_ALLOC) || (sh.sh_flags & (SHF_EXECINSTR | SHF_WRITE)))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf || data->d_size < nlen)
			continue;
		base = data->d_buf;
		end = base + data->d_size;
		for (hit = base; (hit = memmem(hit, end - hit, needle, nlen)); hit++) {
			if (version_after && !is_version(hit + nlen, end))
				continue;
			for (i = 0; i + 1 < len && hit + i < end && hit[i]; i++)
				out[i] = hit[i] >= 0x20 && hit[i] < 0x7f ? hit[i] : '?';
			if (len)
				out[i] = 0;
			return 0;
		}
	}
	return -ENOENT;
}
