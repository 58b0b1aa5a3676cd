/*
 * gen_ent.c - a trial's schedule entries: added in drawing order, each
 * with its keys as indented YAML, and written sorted by time
 * (gen-internal.h).
 */
#include "explore/gen-internal.h"

#include <inttypes.h>
#include <stdlib.h>

struct strbuf *gen_ent_add(struct draw *d, uint32_t at, const char *action)
{
	struct gen_ent *e;

	if (d->n_ents == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->ents = xrealloc(d->ents, d->cap * sizeof(*d->ents));
	}
	e = &d->ents[d->n_ents];
	*e = (struct gen_ent){ .at = at, .seq = d->n_ents };
	d->n_ents++;
	d->st->entries++;
	sb_addf(&e->text, "    action: %s\n", action);
	return &e->text;
}

static int by_time(const void *a, const void *b)
{
	const struct gen_ent *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void gen_write_schedule(struct draw *d, struct strbuf *out)
{
	qsort(d->ents, d->n_ents, sizeof(*d->ents), by_time);
	if (d->n_ents)
		sb_addf(out, "schedule:\n");
	for (unsigned i = 0; i < d->n_ents; i++) {
		sb_addf(out, "  - at: %" PRIu32 "\n", d->ents[i].at);
		sb_add(out, d->ents[i].text.buf, d->ents[i].text.len);
		sb_free(&d->ents[i].text);
	}
	free(d->ents);
	d->ents = NULL;
	d->n_ents = d->cap = 0;
}
