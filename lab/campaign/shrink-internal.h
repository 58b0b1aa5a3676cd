/*
 * shrink-internal.h - what the search (shrink.c) shares with the runner
 * (shrink_run.c) besides shrink.h: the parts of a scenario a candidate
 * drops items of, and the names the result file's comment lists them by.
 * Only those two files include it.
 */
#ifndef IKELAB_SHRINK_INTERNAL_H
#define IKELAB_SHRINK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/util.h"
#include "campaign/shrink.h"

enum part {
	PART_SCHEDULE,
	PART_FAULTS,
	PART_SET
};

/* The part's kept flags (C's own array: callers may change them). */
bool *shrink_part_mask(const struct shrink_cand *c, enum part p, unsigned *n);
/* Item I of part P as the search names it, appended to SB:
 * "#3 traffic burst alice", "rekey-drop", "peers[bob].set.ike.unique". */
void shrink_item_name(const struct scenario *s, enum part p, unsigned i, struct strbuf *sb);
/* "30s", or "2500ms" when not whole seconds; the caller frees it. */
char *shrink_ms_text(uint32_t ms);

#endif
