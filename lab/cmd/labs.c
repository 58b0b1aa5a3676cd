/*
 * labs.c - a lab's life: up, down, status, exec, and ls over all of them.
 */
#include "cmd/cmd.h"
#include "backend/lab.h"
#include "backend/list.h"
#include "backend/state.h"
#include "backend/status.h"
#include "backend/uml/remote.h"
#include "backend/uml/uml.h"
#include "base/err.h"
#include "base/json.h"
#include "base/spawn.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int up_uml(const struct cli *c, const struct up_opts *o)
{
	struct lab_plan plan;
	char *topo, *peers, *peers2;
	int rc;

	/* Check the files here, where the user can fix them, before a
	 * kernel boots. */
	if (lab_plan_load(&plan, o) < 0)
		return -1;
	topo = abs_path(plan.topo->path);
	peers = abs_path(plan.profile[0]->path);
	peers2 = abs_path(plan.profile[1]->path);
	lab_plan_free(&plan);
	{
		struct argv inner = { 0 };

		argv_addv(&inner, (char *const[]){ "up", "--kernel", "host", "--name",
						   (char *)c->name, "--topology", topo, "--peers",
						   peers, "--peers", peers2, NULL });
		if (o->charon) {
			argv_add(&inner, "--charon");
			argv_add(&inner, o->charon);
		}
		if (c->trust)
			argv_add(&inner, "--trust");

		printf("booting user-mode Linux for lab '%s' (this kernel cannot hold ESP SAs)\n",
		       c->name);
		fflush(stdout);
		rc = uml_boot_and_run(c->name, inner.v, NULL, true);
		argv_free(&inner);
	}
	free(topo);
	free(peers);
	free(peers2);
	return rc;
}

int cmd_up(const struct cli *c)
{
	struct up_opts o = { .name = c->name,
			     .topology = c->topology,
			     .peers = c->peers,
			     .peers2 = c->peers2,
			     .kernel = c->kernel };
	const char *kernel = pick_kernel(c);
	char *charon = NULL;
	int rc;

	if (c->npos)
		return err_set("up takes no positional arguments ('%s')", c->pos[0]), fail();
	/* A version is built before anything else happens. */
	if (!kernel || charon_arg(c, &charon) < 0)
		return fail();
	o.charon = charon;
	if (!strcmp(kernel, "host"))
		rc = lab_up_host(&o);
	else
		rc = up_uml(c, &o);
	free(charon);
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
	char **names;
	int rc = 0;

	if (!c->all)
		return down_one(c->name) < 0 ? fail() : 0;
	names = state_lab_names();
	for (char **n = names; *n; n++)
		if (down_one(*n) < 0)
			rc = fail();
	state_names_free(names);
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

/* "45s", "12m", "3h05m", "2d04h". */
static void age_text(long s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%lds", s);
	else if (s < 3600)
		snprintf(buf, len, "%ldm", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%ldh%02ldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%ldd%02ldh", s / 86400, s / 3600 % 24);
}

static void ls_line(const json_t *e)
{
	struct strbuf peers = { 0 };
	const char *health = jget_str_or(e, "health", "?");
	json_t *p;
	size_t i;
	char age[32];

	json_array_foreach (json_object_get(e, "peers"), i, p)
		sb_addf(&peers, "%s%s", i ? "," : "", json_string_value(p));
	age_text(jget_num_or(e, "age_s", 0) > 0 ? (long)jget_num_or(e, "age_s", 0) : 0, age,
		 sizeof(age));
	printf("%-16s %-7s %-7s %-14s %s", jget_str_or(e, "name", "?"),
	       jget_str_or(e, "backend", "?"), age, peers.len ? peers.buf : "-", health);
	if (strcmp(health, "up"))
		printf(" (%s)", jget_str_or(e, "detail", ""));
	printf("\n");
	sb_free(&peers);
}

int cmd_ls(const struct cli *c)
{
	json_t *list, *e;
	size_t i;

	if (c->npos)
		return usage_fail(c);
	list = lab_list();
	if (!list)
		return fail();
	if (c->json) {
		char *text = json_dumps(list, JSON_INDENT(2));

		printf("%s\n", text ? text : "[]");
		free(text);
	} else if (json_array_size(list)) {
		printf("%-16s %-7s %-7s %-14s %s\n", "NAME", "BACKEND", "AGE", "PEERS", "HEALTH");
		json_array_foreach (list, i, e)
			ls_line(e);
	}
	json_decref(list);
	return 0;
}
