/*
 * record.c - recording a running lab, and plotting what was recorded.
 */
#include "cmd/cmd.h"
#include "backend/state.h"
#include "backend/uml/remote.h"
#include "backend/uml/uml.h"
#include "backend/uml/umlproc.h"
#include "base/err.h"
#include "judge/plot.h"
#include "record/recorder.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int cmd_record(const struct cli *c)
{
	struct rec_opts o = {
		.lab = c->name, .live = isatty(1), .share = true, .crash_is_lab_error = true
	};
	long traffic = c->traffic ? number("--traffic", c->traffic, 0, 2000000) : 0;
	char *dir;
	int rc;

	if (decimal("--duration", c->duration, 60, 0.1, 86400 * 7, &o.duration) < 0 ||
	    decimal("--rate", c->rate, 10, 0.1, 1000, &o.rate) < 0 ||
	    decimal("--grace", c->grace, 2, 0, 3600, &o.grace) < 0 || traffic < 0)
		return fail();
	if (c->npos)
		return err_set("record takes no positional arguments ('%s')", c->pos[0]), fail();
	dir = run_dir(c->out, c->name);
	if (!dir)
		return fail();
	if (!state_inside_uml() && uml_is_lab_name(c->name)) {
		char **argv;

		/* The kernel sees the host read-only but for what it is given. */
		if (umlproc_share_dir(c->name, dir) < 0) {
			free(dir);
			return fail();
		}
		argv = forward_args(c, "--out", dir);
		rc = remote_run_lab(c->name, argv, o.live ? REMOTE_STDIN | REMOTE_TTY : 0);
		free(argv);
		free(dir);
		return rc;
	}
	o.out = dir;
	rc = record_main(&o, (int)traffic);
	free(dir);
	if (rc < 0)
		return fail();
	if (rc == 2)
		fprintf(stderr, "ikelab: %s\n", err_msg());
	return rc;
}

int cmd_plot(const struct cli *c)
{
	if (c->npos != 1)
		return usage_fail(c);
	if (plot_run(c->pos[0]) < 0)
		return fail();
	printf("%s/timeline.png\n%s/timeline.svg\n", c->pos[0], c->pos[0]);
	return 0;
}
