// SPDX-License-Identifier: MIT
#include <string.h>
#include <strings.h>

#include "redact.h"

static const struct {
	const char *name;
	size_t len;
} secrets[] = {
	{"authorization:", 14},
	{"proxy-authorization:", 20},
	{"cookie:", 7},
	{"set-cookie:", 11},
};

/* Length of the secret header name (colon included) that line starts with, or 0. */
static size_t secret_at(const uint8_t *line, size_t n)
{
	/* Most lines start with none of the names' first letters: no compare at all. */
	switch (line[0] | 0x20) {
	case 'a':
	case 'c':
	case 'p':
	case 's':
		break;
	default:
		return 0;
	}
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (n >= secrets[i].len &&
		    !strncasecmp((const char *)line, secrets[i].name, secrets[i].len))
			return secrets[i].len;
	return 0;
}

int redact_is_secret(const char *name, size_t len)
{
	if (!len)
		return 0;
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (len == secrets[i].len - 1 && !strncasecmp(name, secrets[i].name, len))
			return 1;
	return 0;
}

/*
 * Counts the secret header lines in p (stopping at the first one when out is NULL); with out,
 * a copy of p, masks their values there.
 */
static unsigned int scan(const uint8_t *p, size_t n, uint8_t *out)
{
	unsigned int found = 0;
	size_t i = 0;

	while (i < n) {
		size_t name = secret_at(p + i, n - i);

		if (name) {
			size_t v = i + name;

			while (v < n && (p[v] == ' ' || p[v] == '\t'))
				v++;
			found++;
			if (!out)
				return found;
			for (; v < n && p[v] != '\r' && p[v] != '\n'; v++)
				out[v] = '*';
			i = v;
		}
		/* Move to the start of the next line. */
		const uint8_t *nl = i < n ? memchr(p + i, '\n', n - i) : NULL;

		if (!nl)
			break;
		i = nl - p + 1;
	}
	return found;
}

int redact_needed(const uint8_t *p, size_t n)
{
	return scan(p, n, NULL) != 0;
}

unsigned int redact_secrets(uint8_t *out, const uint8_t *in, size_t n)
{
	memcpy(out, in, n);
	return scan(in, n, out);
}
