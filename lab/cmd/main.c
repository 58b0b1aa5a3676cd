/*
 * main.c - the ikelab command line. It parses arguments and calls the
 * command's handler (labs.c, record.c, runs.c, host.c; see cmd.h).
 */
#include "cmd/cmd.h"
#include "backend/doctor.h"
#include "backend/state.h"
#include "backend/uml/uml.h"
#include "backend/uml/warm.h"
#include "base/err.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: ikelab COMMAND [options]\n"
	"\n"
	"  up       [--name LAB] [--topology FILE] [--peers FILE] [--kernel auto|host|uml]\n"
	"           [--charon PATH]     build a lab and start one charon per peer\n"
	"  status   [--name LAB] [--json]   charon, IKE_SAs, CHILD_SAs and kernel state per peer\n"
	"  exec     [--name LAB] PEER -- CMD...  run CMD in a peer's namespaces\n"
	"  down     [--name LAB | --all]    stop charons, remove everything the lab made\n"
	"  record   [--name LAB] [--duration S] [--rate HZ] [--traffic PPS] [--grace S] [--out DIR]\n"
	"           SA counts, events, kernel acquires and probe loss over time, into a run dir\n"
	"  plot     RUN_DIR                 timeline.svg and timeline.png of a recorded run\n"
	"  run      SCENARIO.yaml [--seed S] [--seeds N] [--out DIR] [--kernel ...] [--charon PATH]\n"
	"           reproduce a race: build, act on schedule, record, judge; exit 0 as expected,\n"
	"           1 not, 2 lab error\n"
	"  shrink   RUN_DIR [--seeds K] [--out FILE]   the smallest scenario that still fails\n"
	"           as one seed's run did, into RUN_DIR/shrunk.yaml; exit 0 found, 1 not shrinkable\n"
	"  nightly  [SCENARIO...] [--seeds N] [--jobs J] [--charon PATH] [--baseline FILE] [--out DIR]\n"
	"           every scenario with N seeds, J labs at a time: junit.xml, summary.json, index.html\n"
	"  doctor   [--json]                what this host can do, which backend auto picks\n"
	"  bench    up [--rounds N] | esp | record [--duration S] | first-sa [--rounds N]\n"
	"                                                          benchmarks (make bench)\n"
	"\n"
	"--name defaults to 'lab'. Options may come anywhere before '--'.\n"
	"Labs live in /run/ikelab/NAME (IKELAB_RUN moves them).\n";

static int need_value(int argc, char **argv, int i)
{
	if (i + 1 >= argc || !strncmp(argv[i + 1], "--", 2))
		return err_set("option %s needs a value", argv[i]);
	return 0;
}

static int parse(struct cli *c, int argc, char **argv)
{
	struct { const char *opt; const char **dst; } vals[] = {
		{ "--name", &c->name }, { "--topology", &c->topology }, { "--peers", &c->peers },
		{ "--kernel", &c->kernel }, { "--charon", &c->charon }, { "--rounds", &c->rounds },
		{ "--duration", &c->duration }, { "--rate", &c->rate }, { "--out", &c->out },
		{ "--traffic", &c->traffic }, { "--grace", &c->grace }, { "--seed", &c->seed },
		{ "--seeds", &c->seeds }, { "--jobs", &c->jobs }, { "--baseline", &c->baseline },
	};

	memset(c, 0, sizeof(*c));
	c->name = LAB_DEFAULT_NAME;
	c->pos = xcalloc((size_t)argc + 1, sizeof(char *));
	c->argv = argv + 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool matched = false;

		if (!strcmp(a, "--")) {
			c->rest = argv + i + 1;
			break;
		}
		for (size_t k = 0; k < ARRAY_LEN(vals); k++) {
			if (strcmp(a, vals[k].opt))
				continue;
			if (need_value(argc, argv, i) < 0)
				return -1;
			*vals[k].dst = argv[++i];
			matched = true;
		}
		if (matched)
			continue;
		if (!strcmp(a, "--json"))
			c->json = true;
		else if (!strcmp(a, "--all"))
			c->all = true;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			c->cmd = "help";
		else if (a[0] == '-' && a[1])
			return err_set("unknown option '%s' (see 'ikelab --help')", a);
		else if (!c->cmd)
			c->cmd = a;
		else
			c->pos[c->npos++] = argv[i];
	}
	if (!c->cmd)
		c->cmd = "help";
	return lab_name_check(c->name);
}

int main(int argc, char **argv)
{
	struct cli c;
	int rc;

	if (argc >= 2 && !strcmp(argv[1], "uml-init"))
		return uml_init_main(argc, argv);
	if (argc >= 1 && !strcmp(argv[0], WARM_MODPROBE))
		return warm_modprobe_main(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse(&c, argc, argv) < 0) {
		free(c.pos);
		return fail();
	}
	if (!strcmp(c.cmd, "help")) {
		fputs(usage, stdout);
		rc = 0;
	} else if (!strcmp(c.cmd, "up")) {
		rc = cmd_up(&c);
	} else if (!strcmp(c.cmd, "down")) {
		rc = cmd_down(&c);
	} else if (!strcmp(c.cmd, "status")) {
		rc = cmd_status(&c);
	} else if (!strcmp(c.cmd, "exec")) {
		rc = cmd_exec(&c);
	} else if (!strcmp(c.cmd, "record")) {
		rc = cmd_record(&c);
	} else if (!strcmp(c.cmd, "nightly")) {
		rc = cmd_nightly(&c);
	} else if (!strcmp(c.cmd, "run")) {
		rc = cmd_run(&c);
	} else if (!strcmp(c.cmd, "shrink")) {
		rc = cmd_shrink(&c);
	} else if (!strcmp(c.cmd, "plot")) {
		rc = cmd_plot(&c);
	} else if (!strcmp(c.cmd, "bench")) {
		rc = cmd_bench(&c);
	} else if (!strcmp(c.cmd, "doctor")) {
		rc = doctor_run(c.json);
	} else {
		err_set("unknown command '%s' (see 'ikelab --help')", c.cmd);
		rc = fail();
	}
	free(c.pos);
	return rc;
}
