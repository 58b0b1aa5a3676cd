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
 *   GEN_INV_ACQUIRE_REKEY  max_acquires_during_rekey: 0 -- a trap policy
 *                       catching traffic while a rekey or reauthentication
 *                       is under way, the "acquire during rekey" race of
 *                       #2446; left out of a trial with a delete-sa or a
 *                       hard expire, which take an SA away on purpose (the
 *                       CHILD_SA's delete then counts as "under way")
 *   GEN_INV_REKEY_LOSS  max_lost_per_event: 0 -- rekeying, and
 *                       make-before-break reauthentication, lose no packet;
 *                       written only in an undisturbed trial: nothing drawn
 *                       that costs traffic on purpose (every draw that
 *                       calls gen_disrupt: link flap, netem, kill, freeze,
 *                       restart, uninstall, expire, delete-sa, terminate,
 *                       conntrack-flush, and delay, drop and hold rules;
 *                       initiate, rekeys, reload, bursts, inject, and
 *                       duplicate and capture rules do not), and where
 *                       every reauthentication is make-before-break (both
 *                       profiles set charon.make_before_break, or neither
 *                       reauthenticates and no reauth is drawn): a
 *                       break-before-make reauthentication loses traffic
 *                       by design. The verdict does not count loss before
 *                       the tunnel first came up (the establishment's).
 *   GEN_INV_LEDGER      ledger_agrees: true (a duplicate child-rekey, a
 *                       5.9.8 quirk, does not count; a restarted charon
 *                       starts a new ledger)
 *
 * gen_invariant_name() and friends give each bit a short name for the
 * command line, and map a verdict's expectation names back to them.
 */
#include "explore/gen-internal.h"

#include "base/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Each invariant's short name and the expectation keys it writes. */
static const struct inv {
	unsigned bit;
	const char *name;
	const char *keys[3];
} invs[] = {
	{ GEN_INV_DUP_IKE, "dup-ike", { "max_ike_per_peer" } },
	{ GEN_INV_DUP_CHILD, "dup-child", { "max_child_per_ts" } },
	{ GEN_INV_KERNEL_SAS, "kernel-sas", { "kernel_sa_pairs" } },
	{ GEN_INV_POLICIES, "policies", { "policies_match" } },
	{ GEN_INV_NO_CRASH, "crash", { "no_crash" } },
	{ GEN_INV_LIVENESS, "liveness", { "max_outage_ms", "max_lost_each_way" } },
	{ GEN_INV_REQIDS, "reqids", { "unique_reqids" } },
	{ GEN_INV_GROWTH, "growth", { "max_ike_growth_per_hour", "max_child_growth_per_hour" } },
	{ GEN_INV_ACQUIRE_REKEY, "acquire-rekey", { "max_acquires_during_rekey" } },
	{ GEN_INV_REKEY_LOSS, "rekey-loss", { "max_lost_per_event" } },
	{ GEN_INV_LEDGER, "ledger", { "ledger_agrees" } },
};

const char *gen_invariant_name(unsigned bit)
{
	for (size_t i = 0; i < ARRAY_LEN(invs); i++)
		if (invs[i].bit == bit)
			return invs[i].name;
	return NULL;
}

int gen_invariant_parse(const char *name, unsigned *bit)
{
	struct strbuf known = { 0 };

	for (size_t i = 0; i < ARRAY_LEN(invs); i++)
		if (name && !strcmp(invs[i].name, name)) {
			*bit = invs[i].bit;
			return 0;
		}
	for (size_t i = 0; i < ARRAY_LEN(invs); i++)
		sb_addf(&known, "%s%s", i ? ", " : "", invs[i].name);
	err_set("no invariant '%s' (known: %s)", name ? name : "", known.buf);
	sb_free(&known);
	return -1;
}

const char *gen_invariant_of_key(const char *expectation_key)
{
	for (size_t i = 0; i < ARRAY_LEN(invs) && expectation_key; i++)
		for (size_t k = 0; k < ARRAY_LEN(invs[i].keys) && invs[i].keys[k]; k++)
			if (!strcmp(invs[i].keys[k], expectation_key))
				return invs[i].name;
	return NULL;
}

/* Nothing drawn costs traffic, and no reauthentication breaks before it
 * makes. */
static bool rekey_loss_applies(const struct draw *d)
{
	const struct gen *g = d->g;
	bool mbb = g->mbb[d->prof[0]] && g->mbb[d->prof[1]];
	bool reauth =
		g->reauth[d->prof[0]] || g->reauth[d->prof[1]] || d->st->kinds[GEN_REAUTH] > 0;

	return d->n_disrupt == 0 && (mbb || !reauth);
}

/* The invariants this trial checks: the options' less those it breaks
 * on purpose (noted in ST). */
static unsigned trial_invariants(struct draw *d)
{
	unsigned inv = d->g->o.invariants;

	d->st->undisturbed = d->n_disrupt == 0;
	if (d->delete_sa && (inv & GEN_INV_KERNEL_SAS)) {
		inv &= ~GEN_INV_KERNEL_SAS;
		d->st->kernel_sas_off = true;
	}
	if (d->sa_gone && (inv & GEN_INV_ACQUIRE_REKEY)) {
		inv &= ~GEN_INV_ACQUIRE_REKEY;
		d->st->acquire_rekey_off = true;
	}
	if (!rekey_loss_applies(d))
		inv &= ~GEN_INV_REKEY_LOSS;
	d->st->rekey_loss_on = (inv & GEN_INV_REKEY_LOSS) != 0;
	return inv;
}

void gen_write_expectations(struct draw *d, struct strbuf *sb)
{
	const struct gen_opts *o = &d->g->o;
	unsigned inv = trial_invariants(d);
	uint64_t outage = (uint64_t)d->w_max + o->liveness_ms;
	uint64_t budget_ms = d->w_sum + (uint64_t)(d->n_disrupt + 1) * o->liveness_ms;
	uint64_t lost = (d->pps * budget_ms + 999) / 1000;

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
	if (inv & GEN_INV_ACQUIRE_REKEY)
		sb_addf(sb, "  max_acquires_during_rekey: 0\n");
	if (inv & GEN_INV_REKEY_LOSS)
		sb_addf(sb, "  max_lost_per_event: 0\n");
	if (inv & GEN_INV_LEDGER)
		sb_addf(sb, "  ledger_agrees: true\n");
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
	if (d->sa_gone && (o->invariants & GEN_INV_ACQUIRE_REKEY))
		sb_addf(sb, "# max_acquires_during_rekey left out: a delete-sa or a hard expire "
			    "sends traffic to the trap policy on purpose\n");
	if ((o->invariants & GEN_INV_REKEY_LOSS) && !d->st->rekey_loss_on)
		sb_addf(sb, "# max_lost_per_event left out: %s\n",
			d->n_disrupt ? "the trial disrupts traffic on purpose"
				     : "a reauthentication may break before it makes");
}
