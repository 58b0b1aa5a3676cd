/*
 * labs.c - a lab's life: up, down, status, exec.
 */
#include "cmd/cmd.h"
#include "backend/lab.h"
#include "backend/state.h"
#include "backend/status.h"
#include "backend/uml/remote.h"
#include "backend/uml/uml.h"
#include "base/err.h"
#include "base/util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_up(const struct cli *c)
{
	struct up_opts o = { .name = c->name,
			     .topology = c->topology,
			     .peers = c->peers,
			     .kernel = c->kernel,
			     .charon = c->charon };
	const char *kernel = pick_kernel(c);
	struct lab_plan plan;
	char *topo, *peers;
	int rc;

	if (c->npos)
		return err_set("up takes no positional arguments ('%s')", c->pos[0]), fail();
	if (!kernel)
		return fail();
	if (!strcmp(kernel, "host"))
		return lab_up_host(&o) < 0 ? fail() : 0;

	/* Check the files here, where the user can fix them, before a
	 * kernel boots. */
	if (lab_plan_load(&plan, &o) < 0)
		return fail();
	topo = xstrdup(plan.topo->path);
	peers = xstrdup(plan.profile[0]->path);
	lab_plan_free(&plan);
	{
		char *topo_abs = abs_path(topo), *peers_abs = abs_path(peers);
		char *inner[14] = { "up",         "--kernel", "host",    "--name", (char *)c->name,
				    "--topology", topo_abs,   "--peers", peers_abs };
		int k = 9;

		if (c->charon) {
			inner[k++] = "--charon";
			inner[k++] = (char *)c->charon;
		}
		if (c->trust)
			inner[k++] = "--trust";
		inner[k] = NULL;

		printf("booting user-mode Linux for lab '%s' (this kernel cannot hold ESP SAs)\n",
		       c->name);
		fflush(stdout);
		rc = uml_boot_and_run(c->name, inner, NULL, true);
		free(topo_abs);
		free(peers_abs);
	}
	free(topo);
	free(peers);
	if (rc < 0)
		return fail();
	return rc;
}

static int down_one(const char *name)
{
	char *dir = state_dir(name);
	int r;

	if (!state_inside_uml() && uml_is_lab(dir))
		r = uml_down(name);
	else if (!path_exists(dir))
		r = err_set("no lab named '%s' (nothing at %s)", name, dir);
	else
		r = lab_down_host(name);
	free(dir);
	/* Inside UML the host side reports; say it once. */
	if (r == 0 && !state_inside_uml())
		printf("lab '%s' is down\n", name);
	return r;
}

int cmd_down(const struct cli *c)
{
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (!c->all)
		return down_one(c->name) < 0 ? fail() : 0;
	d = opendir(state_base_dir());
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && name_valid(e->d_name, LAB_NAME_MAX) &&
		    down_one(e->d_name) < 0)
			rc = fail();
	closedir(d);
	return rc;
}

int cmd_status(const struct cli *c)
{
	int rc;

	if (forwarded(c, 0, &rc))
		return rc;
	return status_host(c->name, c->json) < 0 ? fail() : 0;
}

int cmd_exec(const struct cli *c)
{
	int rc;

	if (c->npos != 1 || !c->rest || !c->rest[0])
		return usage_fail(c);
	if (forwarded(c, REMOTE_STDIN | REMOTE_TTY, &rc))
		return rc;
	exec_host(c->name, c->pos[0], c->rest);
	return fail();
}
