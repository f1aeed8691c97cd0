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

#endif
