/*
 * gen_expect.c - what a trial checks, its expectations: block, and the
 * comment at the top of its file (gen-internal.h).
 *
 * Invariants and the expectation keys that stand for them (lab/judge):
 *
 *   GEN_INV_DUP_IKE     max_ike_per_peer: 1    sustained past grace
 *   GEN_INV_DUP_CHILD   max_child_per_ts: 1    sustained past grace
 *   GEN_INV_KERNEL_SAS  kernel_sa_pairs: true  left out of a trial with a
 *                       delete-sa, which breaks it on purpose
 *   GEN_INV_POLICIES    policies_match: true
 *   GEN_INV_REQIDS      unique_reqids: true
 *   GEN_INV_NO_CRASH    no_crash: true (switched off: no_crash: false)
 *   GEN_INV_LIVENESS    max_outage_ms and max_lost_each_way, with budgets
 *                       made of the outages the trial makes on purpose
 *                       plus liveness_ms for each; neither key has a
 *                       window, so "after the last fault" is approximated:
 *                       every action lies before the quiet tail, and a
 *                       tunnel that never comes back loses the tail's
 *                       packets, which max_lost_each_way counts (the
 *                       probe reports no loss window for a tail: a gap is
 *                       one only once a later packet arrives)
 *   GEN_INV_GROWTH      max_ike_growth_per_hour and
 *                       max_child_growth_per_hour: 0 (not in the default:
 *                       a slope over a run of seconds is noise)
 */
#include "explore/gen-internal.h"

#include <inttypes.h>
#include <stdio.h>

void gen_write_expectations(struct draw *d, struct strbuf *sb)
{
	const struct gen_opts *o = &d->g->o;
	unsigned inv = o->invariants;
	uint64_t outage = (uint64_t)d->w_max + o->liveness_ms;
	uint64_t budget_ms = d->w_sum + (uint64_t)(d->n_disrupt + 1) * o->liveness_ms;
	uint64_t lost = (d->pps * budget_ms + 999) / 1000;

	if (d->delete_sa && (inv & GEN_INV_KERNEL_SAS)) {
		inv &= ~GEN_INV_KERNEL_SAS;
		d->st->kernel_sas_off = true;
	}
	sb_addf(sb, "expectations:\n");
	if (inv & GEN_INV_DUP_IKE)
		sb_addf(sb, "  max_ike_per_peer: 1\n");
	if (inv & GEN_INV_DUP_CHILD)
		sb_addf(sb, "  max_child_per_ts: 1\n");
	if (inv & GEN_INV_GROWTH)
		sb_addf(sb, "  max_ike_growth_per_hour: 0\n  max_child_growth_per_hour: 0\n");
	if (inv & GEN_INV_LIVENESS) {
		outage = outage > UINT32_MAX ? UINT32_MAX : outage;
		lost = lost > UINT32_MAX ? UINT32_MAX : lost;
		d->st->max_outage_ms = (uint32_t)outage;
		d->st->max_lost_each_way = (uint32_t)lost;
		sb_addf(sb, "  max_lost_each_way: %" PRIu64 "\n", lost);
		sb_addf(sb, "  max_outage_ms: %" PRIu64 "\n", outage);
	}
	sb_addf(sb, "  no_crash: %s\n", inv & GEN_INV_NO_CRASH ? "true" : "false");
	if (inv & GEN_INV_REQIDS)
		sb_addf(sb, "  unique_reqids: true\n");
	if (inv & GEN_INV_KERNEL_SAS)
		sb_addf(sb, "  kernel_sa_pairs: true\n");
	if (inv & GEN_INV_POLICIES)
		sb_addf(sb, "  policies_match: true\n");
}

void gen_write_header(const struct draw *d, uint64_t seed, struct strbuf *sb)
{
	const struct gen_opts *o = &d->g->o;

	sb_addf(sb, "# drawn by ikelab explore, generator version %d, seed %" PRIu64 "\n",
		GEN_VERSION, seed);
	sb_addf(sb, "# topology %s\n", o->topology);
	for (unsigned i = 0; i < o->n_profiles; i++)
		sb_addf(sb, "# profile %s\n", o->profiles[i]);
	sb_addf(sb,
		"# ike_life %" PRIu32 "..%" PRIu32 " s, child_life %" PRIu32 "..%" PRIu32
		" s, duration %" PRIu32 "..%" PRIu32 " s, pps %" PRIu32 "..%" PRIu32 "\n",
		o->ike_life.lo, o->ike_life.hi, o->child_life.lo, o->child_life.hi, o->duration.lo,
		o->duration.hi, o->pps.lo, o->pps.hi);
	sb_addf(sb,
		"# actions 1..%u, faults 0..%u, invariants 0x%x, liveness %" PRIu32
		" ms, grace %" PRIu32 " ms\n",
		o->max_actions, o->max_faults, o->invariants, o->liveness_ms, o->grace_ms);
	sb_addf(sb, "# weights");
	for (unsigned k = 0; k < GEN_KINDS; k++)
		sb_addf(sb, " %s=%u", gen_kind_name((enum gen_kind)k), o->weights[k]);
	sb_addf(sb, "\n# fault weights");
	for (unsigned f = 0; f < GEN_FAULTS; f++)
		sb_addf(sb, " %s=%u", gen_fault_name((enum gen_fault)f), o->fault_weights[f]);
	sb_addf(sb, "\n");
	if (d->delete_sa && (o->invariants & GEN_INV_KERNEL_SAS))
		sb_addf(sb, "# kernel_sa_pairs left out: a delete-sa removes a kernel SA on "
			    "purpose\n");
}
