// SPDX-License-Identifier: MIT
/* maps_parse_line() on one line of /proc/PID/maps, and the adapter lookup on its path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct maps_entry e;
	char *line = malloc(size + 1);
	size_t len;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = 0;
	len = strlen(line);
	if (!maps_parse_line(line, &e)) {
		/* path is "" or points into the line, at or before its end. */
		if (e.path[0] && (e.path < line || e.path > line + len))
			__builtin_trap();
		if (strnlen(e.perms, sizeof(e.perms)) == sizeof(e.perms))
			__builtin_trap();
		tls_adapter_for_path(e.path);
	}
	free(line);
	return 0;
}
