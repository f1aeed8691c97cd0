// SPDX-License-Identifier: MIT
#include "offline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "handshake.h"
#include "sink/sink.h"
#include "util/log.h"
#include "wire/hsflow.h"
#include "wire/pcapfile.h"

struct offline {
	const struct sink_ops *ops;
	void *sink;
	struct hsflow *hsflow;
	struct hsjoin *hsjoin;
	uint64_t last_ts;
	uint64_t lost_sink;
};

static void emit(void *ctx, const struct handshake_record *h)
{
	struct offline *o = ctx;
	struct record r = {.type = REC_HANDSHAKE, .hs = h};

	if (o->ops->write(o->sink, &r))
		o->lost_sink++;
}

static void on_result(void *ctx, const struct hsf_result *r)
{
	struct offline *o = ctx;

	/* Capture time is already wall-clock time; nothing waits for plaintext here. */
	hsjoin_result(o->hsjoin, r, 0, NULL, 0);
}

static void on_segment(void *ctx, const struct tcp_segment *seg)
{
	struct offline *o = ctx;

	hsflow_feed(o->hsflow, seg);
	/* The capture's own clock drives the timeouts. */
	if (seg->ts > o->last_ts + 1000000000ull) {
		hsflow_expire(o->hsflow, seg->ts);
		o->last_ts = seg->ts;
	}
}

int offline_run(const struct config *cfg)
{
	struct hsf_limits lim = {.max_flows = 65536, .timeout_ns = 60 * 1000000000ull};
	struct sink_opts sopts = {.err = stderr};
	struct offline o = {0};
	struct capture_stats cs = {0};
	char err[256] = "";
	int status = 1;

	log_level = LOG_WARN + cfg->verbose;
	sopts.out = cfg->output ? sink_open_file(cfg->output) : stdout;
	if (!sopts.out) {
		pr_warn("open output %s: %s\n", cfg->output, strerror(errno));
		return 1;
	}
	sopts.color = cfg->color >= 0 ? cfg->color : (!cfg->output && isatty(STDOUT_FILENO));
	o.ops = cfg->format == FORMAT_JSON ? &json_sink_ops : &text_sink_ops;
	o.sink = o.ops->open(&sopts);
	o.hsflow = hsflow_new(&lim, on_result, &o);
	o.hsjoin = hsjoin_new(1, 0, emit, &o);
	if (!o.sink || !o.hsflow || !o.hsjoin) {
		pr_warn("out of memory\n");
		goto out;
	}
	if (pcap_file_read(cfg->read, on_segment, &o, &cs, err, sizeof(err))) {
		pr_warn("--read %s: %s\n", cfg->read, err);
		goto out;
	}
	hsflow_flush(o.hsflow);
	hsjoin_flush(o.hsjoin);
	{
		const uint64_t *c = hsflow_counters(o.hsflow);
		struct hsjoin_stats st;

		hsjoin_stats(o.hsjoin, &st);
		pr_info("%s: %llu frames, %llu TCP segments, %llu skipped; %llu handshakes\n",
			cfg->read, (unsigned long long)cs.frames, (unsigned long long)cs.tcp,
			(unsigned long long)cs.skipped, (unsigned long long)st.handshakes);
		for (int i = 0; i < HSF__MAX; i++)
			if (c[i])
				pr_info("  %s: %llu\n", hsf_counter_name(i),
					(unsigned long long)c[i]);
	}
	status = o.lost_sink ? 1 : 0;
out:
	if (o.sink) {
		o.ops->flush(o.sink);
		o.ops->close(o.sink);
	}
	hsflow_free(o.hsflow);
	hsjoin_free(o.hsjoin);
	if (sopts.out != stdout)
		fclose(sopts.out);
	else
		fflush(stdout);
	return status;
}
