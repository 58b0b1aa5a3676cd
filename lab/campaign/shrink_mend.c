/*
 * shrink_mend.c - the outages a scenario makes and the entries that end
 * them, paired (shrink.h: no candidate keeps one without the other), and
 * candidates made whole. Pure, like shrink.c.
 */
#include "campaign/shrink.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static bool is(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* An interface as an entry names it: dev defaults to eth0. */
static bool same_iface(const struct sc_entry *a, const struct sc_entry *b)
{
	return is(a->node, b->node) && is(a->dev ? a->dev : "eth0", b->dev ? b->dev : "eth0");
}

/* A mender acts on the opener's peer, or on both. */
static bool covers(const struct sc_entry *mender, const struct sc_entry *opener)
{
	return is(mender->peer, opener->peer) || is(mender->peer, "both");
}

static bool is_clear(const struct sc_entry *e)
{
	return e->clear && *e->clear;
}

/* Whether entry M undoes entry O, as the generator (explore/gen_sched.c)
 * writes such pairs: link up after down, CONT after STOP, restart after
 * any other kill, netem clear after netem, install after uninstall. */
static bool undoes(const struct sc_entry *m, const struct sc_entry *o)
{
	if (is(o->action, "link") && is(o->state, "down"))
		return is(m->action, "link") && is(m->state, "up") && same_iface(m, o);
	if (is(o->action, "netem") && !is_clear(o))
		return is(m->action, "netem") && is_clear(m) && same_iface(m, o);
	if (is(o->action, "kill") && is(o->signal, "STOP"))
		return is(m->action, "kill") && is(m->signal, "CONT") && covers(m, o);
	if (is(o->action, "kill") && !is(o->signal, "CONT"))
		return is(m->action, "restart") && covers(m, o);
	if (is(o->action, "uninstall"))
		return is(m->action, "install") && covers(m, o);
	return false;
}

/* Whether entry J comes after entry I in the run (by time, then place). */
static bool later(const struct scenario *s, unsigned j, unsigned i)
{
	return s->schedule[j].at > s->schedule[i].at ||
	       (s->schedule[j].at == s->schedule[i].at && j > i);
}

/* The first entry after opener I that undoes it and mends no earlier
 * opener, or -1. */
static int mender_of(const struct scenario *s, unsigned i, const bool *taken)
{
	int best = -1;

	for (unsigned j = 0; j < s->schedule_count; j++)
		if (!taken[j] && j != i && later(s, j, i) &&
		    undoes(&s->schedule[j], &s->schedule[i]) &&
		    (best < 0 || later(s, (unsigned)best, j)))
			best = (int)j;
	return best;
}

/* A hold rule's releases: entries that name what it holds until. */
static void hold_menders(const struct scenario *s, struct shrink_mend **out, unsigned *n)
{
	for (unsigned f = 0; f < s->faults_count; f++) {
		const struct sc_fault *r = &s->faults[f];

		if (!is(r->action, "hold"))
			continue;
		for (unsigned j = 0; j < s->schedule_count; j++)
			if (is(s->schedule[j].action, "release") &&
			    is(s->schedule[j].name, r->until ? r->until : r->name)) {
				*out = xrealloc(*out, (*n + 1) * sizeof(**out));
				(*out)[(*n)++] = (struct shrink_mend){ true, f, j };
			}
	}
}

unsigned shrink_menders(const struct scenario *s, struct shrink_mend **out)
{
	bool *taken = xcalloc(s->schedule_count ? s->schedule_count : 1, sizeof(*taken));
	unsigned *order = xcalloc(s->schedule_count ? s->schedule_count : 1, sizeof(*order));
	unsigned n = 0;

	*out = NULL;
	/* Openers in the order they happen, each taking the first free mender. */
	for (unsigned i = 0; i < s->schedule_count; i++) {
		unsigned k = i;

		while (k > 0 && later(s, order[k - 1], i)) {
			order[k] = order[k - 1];
			k--;
		}
		order[k] = i;
	}
	for (unsigned k = 0; k < s->schedule_count; k++) {
		int m = mender_of(s, order[k], taken);

		if (m < 0)
			continue;
		taken[m] = true;
		*out = xrealloc(*out, (n + 1) * sizeof(**out));
		(*out)[n++] = (struct shrink_mend){ false, order[k], (unsigned)m };
	}
	hold_menders(s, out, &n);
	free(taken);
	free(order);
	return n;
}

static bool opener_kept(const struct shrink_cand *c, const struct shrink_mend *m)
{
	return m->fault ? c->fault[m->opener] : c->entry[m->opener];
}

int shrink_unmended(const struct scenario *s, const struct shrink_cand *c)
{
	struct shrink_mend *m;
	unsigned n = shrink_menders(s, &m);
	int found = -1;

	for (unsigned i = 0; i < n && found < 0; i++)
		if (opener_kept(c, &m[i]) && !c->entry[m[i].mender])
			found = (int)i;
	free(m);
	return found;
}

void shrink_mend(const struct scenario *s, struct shrink_cand *c)
{
	struct shrink_mend *m;
	unsigned n = shrink_menders(s, &m);
	bool changed = true;

	while (changed) {
		changed = false;
		for (unsigned i = 0; i < n; i++) {
			bool o = opener_kept(c, &m[i]), k = c->entry[m[i].mender];

			if (o && !k) {
				/* The outage goes with what ended it. */
				if (m[i].fault)
					c->fault[m[i].opener] = false;
				else
					c->entry[m[i].opener] = false;
				changed = true;
			} else if (!o && k && !m[i].fault) {
				/* Nothing left to undo. */
				c->entry[m[i].mender] = false;
				changed = true;
			}
		}
	}
	free(m);
	shrink_drop_releases(s, c);
}
