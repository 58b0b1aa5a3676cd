/*
 * check.c - `ikelab check FILE...`: topologies, profiles and scenarios
 * through their loaders, nothing built.
 *
 * The same loaders `up` and `run` use check each file (and what a scenario
 * names: its topology and profiles), so a file that passes here loads
 * there, under the same trust rules (--trust as there). Nothing is created,
 * no kernel boots, no root is needed: an editor or a pre-commit hook calls
 * it. A failure is the loader's one line, FILE:LINE:COL first, on stderr
 * (what compilers print, so editors jump to it); a file that passes gets
 * "FILE: a valid KIND" on stdout.
 */
#include "cmd/cmd.h"
#include "base/err.h"
#include "config/kind.h"
#include "config/profile.h"
#include "config/scenario.h"
#include "config/topology.h"

#include <stdio.h>

/* Load PATH as KIND and free it again: 0, or -1 with err_msg(). */
static int load_as(const char *path, enum file_kind kind)
{
	switch (kind) {
	case KIND_SCENARIO: {
		struct scenario *s = scenario_load(path);

		scenario_free(s);
		return s ? 0 : -1;
	}
	case KIND_TOPOLOGY: {
		struct topology *t = topology_load(path);

		topology_free(t);
		return t ? 0 : -1;
	}
	case KIND_PROFILE: {
		struct profile *p = profile_load(path);

		profile_free(p);
		return p ? 0 : -1;
	}
	}
	return err_set("%s: unknown kind", path);
}

static int check_one(const char *path)
{
	enum file_kind kind;

	if (file_kind_guess(path, &kind) < 0 || load_as(path, kind) < 0) {
		fprintf(stderr, "%s\n", err_msg());
		return -1;
	}
	printf("%s: a valid %s\n", path, file_kind_name(kind));
	return 0;
}

int cmd_check(const struct cli *c)
{
	int rc = 0;

	if (!c->npos)
		return usage_fail(c);
	for (int i = 0; i < c->npos; i++)
		if (check_one(c->pos[i]) < 0)
			rc = 1;
	return rc;
}
