/*
 * host.c - what this host can do and how fast: bench.
 */
#include "cmd/cmd.h"
#include "base/err.h"
#include "campaign/bench.h"

#include <string.h>

int cmd_bench(const struct cli *c)
{
	long rounds = number("--rounds", c->rounds, 5, 1000);
	const char *kernel = pick_kernel(c);

	double secs;

	if (rounds < 0 || !kernel || decimal("--duration", c->duration, 60, 1, 3600, &secs) < 0)
		return fail();
	if (c->npos == 1 && !strcmp(c->pos[0], "up"))
		return bench_up((int)rounds, kernel) < 0 ? fail() : 0;
	if (c->npos == 1 && !strcmp(c->pos[0], "esp"))
		return bench_esp(kernel) < 0 ? fail() : 0;
	if (c->npos == 1 && !strcmp(c->pos[0], "record"))
		return bench_record(secs, kernel) < 0 ? fail() : 0;
	if (c->npos == 1 && !strcmp(c->pos[0], "first-sa"))
		return bench_first_sa((int)rounds, kernel, c->out) < 0 ? fail() : 0;
	return err_set("usage: ikelab bench up [--rounds N] | esp | record [--duration S] | "
		       "first-sa [--rounds N]"), fail();
}
