/* SPDX-License-Identifier: MIT */
/* Just enough of an ELF file to place uprobes: symbols, code bytes, file offsets. */
#ifndef TLSSCOPE_ELF_FILE_H
#define TLSSCOPE_ELF_FILE_H

#include <stddef.h>
#include <stdint.h>

struct elf_file;

/* Returns NULL with errno set when path is unreadable or not ELF. */
struct elf_file *elf_file__open(const char *path);
void elf_file__close(struct elf_file *ef);
/*
 * Looks a function up by name in .symtab, then .dynsym (a version suffix such as
 * "@@OPENSSL_3.0.0" is ignored). Returns 0 and its virtual address and size, or -ENOENT.
 */
int elf_file__func(struct elf_file *ef, const char *name, uint64_t *addr, uint64_t *size);
/* The file offset of virtual address addr, in an executable PT_LOAD segment. 0 or -ENOENT. */
int elf_file__offset(struct elf_file *ef, uint64_t addr, uint64_t *off);
/* Copies up to n bytes of code at addr; returns how many (0 when addr is not in the file). */
size_t elf_file__read(struct elf_file *ef, uint64_t addr, void *buf, size_t n);
/*
 * Which of names is the first, in table order, that the file defines as a function: one
 * pass over .dynsym, then one over .symtab. Returns its index in names, or -ENOENT.
 */
int elf_file__defines_any(struct elf_file *ef, const char *const *names, unsigned int n);
/* The bytes of the section of that name, valid until elf_file__close. 0 or -ENOENT. */
int elf_file__section_data(struct elf_file *ef, const char *name, const uint8_t **data,
			   size_t *len);
/* The file's DT_SONAME, copied into out. 0 or -ENOENT. */
int elf_file__soname(struct elf_file *ef, char *out, size_t len);
/* The virtual address and size of the section of that name. 0 or -ENOENT. */
int elf_file__section(struct elf_file *ef, const char *name, uint64_t *addr, uint64_t *size);
/*
 * Looks for needle in the file's loaded, read-only data (.rodata, .gopclntab, ...), followed
 * by a version number ("3.0.19") if version_after. Returns 0 and copies the NUL-ended string that
 * the first hit begins (up to len - 1 bytes, made printable) into out, or -ENOENT.
 */
int elf_file__find_string(struct elf_file *ef, const char *needle, int version_after, char *out,
			  size_t len);

#endif
