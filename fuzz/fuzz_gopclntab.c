// SPDX-License-Identifier: MIT
/*
 * The Go function-table reader (gopclntab.c) on arbitrary bytes: first as a table (header,
 * then every function's name looked up), then as a .go.buildinfo section. Every offset in
 * them comes from the file: ASan catches a read past the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gopclntab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1); /* exactly sized: reads past it are caught */
	struct gopcln p;
	uint64_t entry, end;
	char ver[64];

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (!gopcln_init(&p, copy, size)) {
		gopcln_find(&p, "crypto/tls.(*Conn).Write", &entry, &end);
		gopcln_find(&p, "a.f", &entry, &end);
	}
	if (!gopcln_go_version(copy, size, ver, sizeof(ver)) && strncmp(ver, "go", 2))
		__builtin_trap();
	free(copy);
	return 0;
}
