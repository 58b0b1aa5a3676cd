/*
 * load.c - the loaders on their own, for tests/schema/run.sh: each FILE
 * loaded as KIND (scenario, topology, profile) with --trust's consent, one
 * line a file: "ok FILE" or "refused FILE: MESSAGE". No lab is touched.
 * Exit status 0 when every file loaded, 1 when one was refused, 2 on a
 * usage error.
 */
#include "base/err.h"
#include "config/profile.h"
#include "config/scenario.h"
#include "config/topology.h"
#include "config/trust.h"

#include <stdio.h>
#include <string.h>

/* 0 when PATH loads as KIND, -1 with err_msg() when it does not. */
static int load(const char *kind, const char *path)
{
	if (!strcmp(kind, "scenario")) {
		struct scenario *s = scenario_load(path);

		scenario_free(s);
		return s ? 0 : -1;
	}
	if (!strcmp(kind, "topology")) {
		struct topology *t = topology_load(path);

		topology_free(t);
		return t ? 0 : -1;
	}
	struct profile *p = profile_load(path);

	profile_free(p);
	return p ? 0 : -1;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 3 || (strcmp(argv[1], "scenario") && strcmp(argv[1], "topology") &&
			 strcmp(argv[1], "profile"))) {
		fprintf(stderr, "usage: schema-load scenario|topology|profile FILE...\n");
		return 2;
	}
	trust_consent(TRUST_FILES);
	for (int i = 2; i < argc; i++) {
		if (load(argv[1], argv[i]) == 0) {
			printf("ok %s\n", argv[i]);
			continue;
		}
		printf("refused %s: ", argv[i]);
		/* One line a file: a message may quote a name with a newline. */
		for (const char *m = err_msg(); *m; m++)
			putchar(*m == '\n' ? ' ' : *m);
		putchar('\n');
		rc = 1;
	}
	return rc;
}
