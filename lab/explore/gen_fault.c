/*
 * gen_fault.c - the generator's fault rules on the router's wire: which
 * exchange, direction and match, and what happens to it; a hold brings
 * its release into the schedule, a capture is kept for inject's replay
 * (gen-internal.h).
 */
#include "explore/gen-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define DROP_RETRANSMIT_MS 4000 /* charon's first retransmission */

static const char *const exchanges[] = { "IKE_SA_INIT", "IKE_AUTH", "CREATE_CHILD_SA",
					 "INFORMATIONAL", "any" };

static void fault(struct draw *d, unsigned i, enum gen_fault f)
{
	const struct gen *g = d->g;
	struct strbuf *sb = &d->faults;
	unsigned resp = gen_pick(d, 0, 2), from = gen_pick(d, 0, 2);
	bool nth = f == GEN_F_DROP || (f != GEN_F_CAPTURE && gen_pick(d, 0, 1));
	char name[24];

	snprintf(name, sizeof(name), "f%u-%s", i, gen_fault_name(f));
	sb_addf(sb, "  - name: %s\n", name);
	sb_addf(sb, "    router: %s\n", g->router[gen_pick(d, 0, g->n_routers - 1)]);
	sb_addf(sb, "    exchange: %s\n", exchanges[gen_pick(d, 0, ARRAY_LEN(exchanges) - 1)]);
	if (resp)
		sb_addf(sb, "    response: %s\n", resp == 1 ? "true" : "false");
	if (from)
		sb_addf(sb, "    from: %s\n", g->peer[from - 1]);
	if (!gen_pick(d, 0, 7))
		sb_addf(sb, "    message_id: %" PRIu32 "\n", gen_pick(d, 0, 2));
	if (nth)
		sb_addf(sb, "    nth: %" PRIu32 "\n", gen_pick(d, 1, 3));
	sb_addf(sb, "    action: %s\n", gen_fault_name(f));
	switch (f) {
	case GEN_F_DELAY: {
		/* Every match delayed only by up to a second. */
		uint32_t ms = nth ? gen_pick(d, 50, 3000) : gen_pick(d, 50, 1000);

		sb_addf(sb, "    delay_ms: %" PRIu32 "\n", ms);
		gen_disrupt(d, ms);
		break;
	}
	case GEN_F_DROP:
		gen_disrupt(d, DROP_RETRANSMIT_MS);
		break;
	case GEN_F_HOLD: {
		/* Held from the start at worst, until the release. */
		uint32_t rel = gen_pick(d, GEN_START_MS, d->limit_ms - 1);
		bool until = gen_pick(d, 0, 1);
		struct strbuf *e;

		if (until)
			sb_addf(sb, "    until: rel-%u\n", i);
		e = gen_ent_add(d, rel, "release");
		if (until)
			sb_addf(e, "    name: rel-%u\n", i);
		else
			sb_addf(e, "    name: %s\n", name);
		gen_disrupt(d, rel);
		break;
	}
	case GEN_F_CAPTURE:
		snprintf(d->capture[d->n_capture++], sizeof(d->capture[0]), "%s", name);
		break;
	default: /* GEN_F_DUPLICATE */
		break;
	}
}

void gen_faults(struct draw *d)
{
	unsigned w = 0, n;

	for (unsigned f = 0; f < GEN_FAULTS; f++)
		w += d->g->o.fault_weights[f];
	if (!d->g->n_routers || !w || !d->g->o.max_faults)
		return;
	n = gen_pick(d, 0, d->g->o.max_faults);
	for (unsigned i = 0; i < n; i++) {
		enum gen_fault f =
			(enum gen_fault)gen_pick_weighted(d, d->g->o.fault_weights, GEN_FAULTS);

		d->st->faults[f]++;
		fault(d, i, f);
	}
}
