// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink/sink.h"

FILE *sink_open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f;

	/* An existing file keeps its mode on O_CREAT: make it private too. */
	if (fd < 0 || fchmod(fd, 0600)) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		errno = err;
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return f;
}
