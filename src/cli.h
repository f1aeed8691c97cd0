/* SPDX-License-Identifier: MIT */
#ifndef TLSSCOPE_CLI_H
#define TLSSCOPE_CLI_H

#include <stdint.h>

enum output_format { FORMAT_TEXT, FORMAT_JSON };

/* How the TC classifier is attached: tcx links when the kernel has them, else clsact. */
enum tc_mode { TC_AUTO, TC_TCX, TC_CLSACT, TC_OFF };

#define MAX_IFACES	 32
#define MAX_BODY_PREVIEW 4096

struct config {
	uint32_t pid;  /* 0: every process */
	char comm[16]; /* "": every command */
	enum output_format format;
	const char *output; /* NULL: stdout */
	uint32_t max_capture;
	uint32_t ringbuf_size;
	unsigned int stats_interval; /* seconds, 0: only at exit */
	unsigned int duration;	     /* seconds, 0: until a signal */
	const char *ready_file;
	int verbose;
	int color;	    /* -1: when stdout is a terminal */
	int no_redact;	    /* show secret header values */
	int probe_exported; /* skip the cheaper internal probe sites */
	enum tc_mode tc;
	const char *ifaces[MAX_IFACES]; /* -i: only these interfaces; none: every one that is up */
	unsigned int nifaces;
	const char *read; /* --read: parse this capture file instead of tracing */
	int show_data;	  /* --data: the text view shows HTTP streams' chunks too */
	int no_data;	  /* --no-data: no data records (http and handshake records stay) */
	unsigned int body_preview; /* bytes of each HTTP body kept in http records */
	const char *pcapng;	   /* --pcapng FILE */
	const char *metrics;	   /* --metrics ADDR:PORT */
	int list;		   /* --list: print the TLS code of every process and exit */
};

/*
 * Parses argv into cfg. Returns 0, or the exit status to leave with: 2 for a usage error
 * (the message is printed), 0 after --help or --version.
 */
int cli_parse(int argc, char **argv, struct config *cfg, int *exit_now);

#endif
