/* SPDX-License-Identifier: MIT */
/*
 * A temporary directory for unit tests that build programs to look into (test_tlscode,
 * test_gopclntab): made on first use, removed at exit.
 */
#ifndef TLSSCOPE_TEST_TMPDIR_H
#define TLSSCOPE_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char test_dir_path[64];

static void test_dir_remove(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir_path);
	if (system(cmd))
		fprintf(stderr, "  (could not remove %s)\n", test_dir_path);
}

/* The directory, or NULL when it cannot be made. */
static const char *test_dir(void)
{
	if (!test_dir_path[0]) {
		if (!mkdtemp(strcpy(test_dir_path, "/tmp/tlsscope-unit.XXXXXX"))) {
			test_dir_path[0] = 0;
			return NULL;
		}
		atexit(test_dir_remove);
	}
	return test_dir_path;
}

/* Writes text to test_dir()/name; path gets the file's path. 0 or -1. */
static int test_dir_write(const char *name, const char *text, char *path, size_t len)
{
	const char *dir = test_dir();
	FILE *f;

	if (!dir || snprintf(path, len, "%s/%s", dir, name) >= (int)len || !(f = fopen(path, "w")))
		return -1;
	fputs(text, f);
	return fclose(f) ? -1 : 0;
}

#endif
