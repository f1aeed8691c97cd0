// SPDX-License-Identifier: MIT
#include "agent.h"
#include "cli.h"
#include "list.h"
#include "offline.h"

int main(int argc, char **argv)
{
	struct config cfg;
	int exit_now, status;

	status = cli_parse(argc, argv, &cfg, &exit_now);
	if (exit_now)
		return status;
	if (cfg.read)
		return offline_run(&cfg);
	if (cfg.list)
		return list_run(&cfg);
	return agent_run(&cfg);
}
