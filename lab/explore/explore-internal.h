/*
 * explore-internal.h - what the files of `ikelab explore` share
 * (explore.h is the module's face): explore.c draws and runs the trials
 * and groups what they find, finish.c shrinks the new groups and runs
 * their scenarios on the versions, findings.c writes the reports and
 * merges shards.
 */
#ifndef IKELAB_EXPLORE_INTERNAL_H
#define IKELAB_EXPLORE_INTERNAL_H

#include "explore/explore.h"
#include "explore/group.h"

#include <jansson.h>
#include <stdint.h>

struct explorer {
	const struct explore_opts *o;
	struct gen *gen;
	struct groups G;
	json_t *trials; /* findings.json's trials_list (owned) */
	unsigned next;  /* the next trial's index */
	unsigned run, clean, failed, errors;
	char *charon_version; /* as the first trial's run found it */
	int64_t t0;           /* mono_ns() at the start */
	char started[32];
};

/* ---- finish.c ---- */

/* Every new group of X shrunk into OUT/shrunk/ID/ID.yaml, J at a time, and
 * each shrunk scenario run on the versions; what came of it into the
 * group's entry (shrunk, shrink, version_runs, fixed_in). The first run
 * of every group gets its plot. 0, or 128+N when signal N stopped it
 * (what ran is stopped, what did not is skipped). */
int explore_finish(struct explorer *X);

/* ---- findings.c ---- */

/* findings.json's document of X (new reference). */
json_t *findings_of(const struct explorer *X);
/* findings.json, index.html and junit.xml of F into OUT; -1 with
 * err_msg(). */
int findings_write(const json_t *f, const char *out);
/* What a finished exploration prints last, and its exit status. */
int findings_summary(const json_t *f, const char *out);

#endif
