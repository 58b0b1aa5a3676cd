/*
 * group.h - the findings of an exploration, grouped by signature (sig.h),
 * and the list of races already known.
 *
 * A group is every trial whose finding has one signature: how many, the
 * first (its seed, its run, how far into the exploration it came), up to
 * GROUP_SEEDS seeds, and what became of it afterwards (its shrunk
 * scenario, the versions that do or do not show it). Groups are kept in
 * the order they were first seen; reports sort them.
 *
 * The known list says which groups a night should not call new: a text
 * file with one group per line -- its 8 hex digit id, or its whole
 * signature -- where '#' starts a comment, or an earlier findings.json
 * whose groups are all known. A known group is still counted and
 * reported, but not shrunk and not a failure.
 */
#ifndef IKELAB_EXPLORE_GROUP_H
#define IKELAB_EXPLORE_GROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "explore/sig.h"

#define GROUP_SEEDS 50 /* seeds a group lists, at most */

struct group {
	char id[9];
	json_t *j; /* its findings.json entry (owned), updated as trials come */
	bool known;
	unsigned count;
	uint64_t first_seed;
};

struct groups {
	struct group *g;
	unsigned n;
	char **known; /* ids and signatures of the known list (owned) */
	unsigned n_known;
};

/* The known list in FILE into G; -1 with err_msg() (FILE:LINE: for a
 * line that is neither an id nor a signature). */
int groups_load_known(struct groups *G, const char *file);

/* Count F (the finding of trial SEED, AFTER_S seconds into the
 * exploration, its run directory RUN relative to the report) in its
 * group, made when it is the first: the group (G's). */
struct group *groups_add(struct groups *G, const struct finding *f, uint64_t seed, double after_s,
			 const char *run);

/* A group from a findings.json entry J (merging shards): counted into the
 * group of its id, the earlier first seed winning; known when the known
 * list names it, or (without a list) when J says so; the group (G's), or
 * NULL for an entry without a valid id. */
struct group *groups_merge(struct groups *G, const json_t *j);

/* The groups as findings.json's "groups" array (new reference), each
 * with its rate over TRIALS. */
json_t *groups_json(const struct groups *G, unsigned trials);

unsigned groups_new(const struct groups *G);
void groups_free(struct groups *G);

#endif
