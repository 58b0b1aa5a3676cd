/*
 * nightly.h - every scenario, several seeds, several labs at a time, and
 * the reports a team reads in the morning: junit.xml for CI, summary.json
 * for programs (and the next night's baseline), index.html for people.
 *
 * Given several charon versions, the night is a matrix, scenario x seed x
 * version: every scenario runs with its seeds on every version, each
 * version's runs in a folder of their own (v1-LABEL/, v2-LABEL/), and
 * summary.json's "matrix" puts each scenario's versions side by side. A
 * scenario whose bug (a reproduction reproducing, a clean scenario failing)
 * shows in some run on one version and in no run on the next is "fixed in"
 * the next; the reverse is "regressed in" it.
 */
#ifndef IKELAB_NIGHTLY_H
#define IKELAB_NIGHTLY_H

#include <stdbool.h>

struct nightly_opts {
	char **scenarios; /* files; none: every scenarios/ *.yaml */
	int n_scenarios;
	unsigned seeds;
	unsigned jobs; /* labs at a time; 0: one per CPU */
	/* The versions: each scenario runs on each, side by side in the
	 * reports. charons[i] is the binary (a version built already), labels[i]
	 * what the user typed; none: the default charon. */
	char **charons, **labels;
	int n_charons;
	/* With versions: sets[i] ("PATH=VALUE", or NULL) is the --set of
	 * every run on version i; NULL: none anywhere. A sweep's values are
	 * such versions (campaign/sweep.h). */
	char **sets;
	const char *baseline; /* an earlier night's summary.json */
	const char *out;
	bool live;
	bool full_duration; /* every run to its end (run --full-duration) */
};

/* 0 when every scenario met its expectation in every run, 1 otherwise;
 * -1 with err_msg() when the night could not run at all. */
int nightly_main(const struct nightly_opts *o);

/* A charon binary from a path that names one, or a strongSwan build tree
 * or install prefix holding one (allocated), or NULL with err_msg(). */
char *charon_resolve(const char *path);

#endif
