/*
 * fuzz_sas.c - what the recorder makes of charon's list-sas answer: a
 * VICI message (fuzzed) whose sections are IKE_SAs, turned into JSON as
 * sas.c does for each list-sa event (sas_collect), then reduced to a sample
 * (analysis.c) and checked against a ledger of the SAs seen.
 */
#include "record/analysis.h"
#include "base/err.h"
#include "charon/sas.h"
#include "base/util.h"
#include "charon/vici.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void mismatch(void *ctx, const struct ledger_mismatch *m)
{
	int *n = ctx;

	CHECK(ledger_what_name(m->what) != NULL);
	CHECK(strlen(m->explain) < sizeof(m->explain));
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vici_node *msg = vici_decode(data, size);
	json_t *list;
	struct sa_sample s;
	struct sa_counts c;
	struct ledger l;
	struct dup_tracker d = { 0 };
	int n = 0;

	if (!msg) {
		err_clear();
		return 0;
	}
	list = json_array();
	sas_collect(list, msg);
	sas_count(list, &c);
	CHECK(c.ike_established <= c.ike && c.child_installed <= c.child);
	sample_from_sas(list, 1.0, &s);
	CHECK(s.ike == c.ike && s.child == c.child);
	CHECK(s.n_ike_ids <= s.ike && s.n_child_ids <= s.child);
	dup_update(&d, 1.0, s.max_established_per_pair, s.pair_key, s.live_pairs, s.n_live_pairs,
		   0.5);
	dup_update(&d, 2.0, s.max_installed_per_ts, s.ts_key, s.live_ts, s.n_live_ts, 0.5);
	dup_finish(&d, 3.0, 0.5);
	dup_free(&d);

	ledger_init(&l, 0.5);
	ledger_check(&l, &s, mismatch, &n);
	for (int k = 0; k < s.n_ike_ids; k++)
		ledger_up(&l, false, s.ike_ids[k], 0);
	for (int k = 0; k < s.n_child_ids; k++)
		ledger_up(&l, true, s.child_ids[k], s.child_ike[k]);
	s.t = 2.0;
	ledger_check(&l, &s, mismatch, &n);
	for (int k = 0; k < s.n_child_ids; k++)
		CHECK(ledger_is_up(&l, true, s.child_ids[k]));
	/* Rekeys may take down an id listed twice, or one another rekey
	 * brought up (#1 -> #2, then #2 -> #3). */
	for (int k = 0; k < s.n_child_ids; k++) {
		ledger_child_rekey(&l, s.child_ids[k], s.child_ids[k] + 1, s.child_ike[k], 2.5,
				   mismatch, &n);
	}
	if (s.n_ike_ids) {
		ledger_ike_rekey(&l, s.ike_ids[0], s.ike_ids[0] + 1);
		ledger_ike_down(&l, s.ike_ids[0] + 1);
	}
	s.t = 5.0;
	ledger_check(&l, &s, mismatch, &n);
	ledger_free(&l);
	sample_free(&s);
	json_decref(list);
	vici_node_free(msg);
	return 0;
}
