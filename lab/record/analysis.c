#include "record/analysis.h"
#include "base/json.h"
#include "base/util.h"
#include "kernel/xfrm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- samples ----------------------------------------------------------- */

static uint32_t jid(const json_t *o)
{
	return (uint32_t)strtoul(jget_str_or(o, "uniqueid", ""), NULL, 10);
}

static void list_join(const json_t *arr, char *buf, size_t len)
{
	size_t i;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach (arr, i, v)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "," : "",
			 json_string_value(v) ? json_string_value(v) : "");
}

static int tally_add(struct tally *t, int *n, int max, const char *key)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(t[i].key, key))
			return ++t[i].n;
	if (*n == max)
		return 0;
	snprintf(t[*n].key, sizeof(t[*n].key), "%s", key);
	t[*n].n = 1;
	return t[(*n)++].n;
}

static bool in(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

static const char *const ike_up_states[] = { "ESTABLISHED", "REKEYING", "REKEYED", NULL };
static const char *const child_up_states[] = { "INSTALLED", "REKEYING", "REKEYED", "UPDATING",
					       NULL };

static void count_kid(struct sa_sample *s, const char *name)
{
	int k;

	for (k = 0; k < s->n_kids && strcmp(s->kids[k].name, name); k++)
		;
	if (k == SAMPLE_KIDS)
		return;
	if (k == s->n_kids) {
		snprintf(s->kids[k].name, sizeof(s->kids[k].name), "%s", name);
		s->kids[s->n_kids++].installed = 0;
	}
	s->kids[k].installed++;
}

/* The INSTALLED CHILD_SAs' reqids and what each one carries: a reqid
 * names one set of selectors in the kernel, so two name/TS keys on one
 * reqid are two CHILD_SAs sharing it. */
struct reqids {
	struct {
		char reqid[16];
		char key[256];
	} v[64];
	int n;
};

static void reqid_add(struct reqids *r, const json_t *c, const char *key)
{
	const char *reqid = jget_str(c, "reqid");

	if (!reqid || r->n == 64)
		return;
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].reqid, reqid) && !strcmp(r->v[i].key, key))
			return;
	snprintf(r->v[r->n].reqid, sizeof(r->v[0].reqid), "%s", reqid);
	snprintf(r->v[r->n++].key, sizeof(r->v[0].key), "%s", key);
}

static void reqid_max(struct sa_sample *s, const struct reqids *r)
{
	for (int i = 0; i < r->n; i++) {
		int n = 0;
		char key[256];

		snprintf(key, sizeof(key), "reqid %s:", r->v[i].reqid);
		for (int k = 0; k < r->n; k++)
			if (!strcmp(r->v[k].reqid, r->v[i].reqid)) {
				n++;
				snprintf(key + strlen(key), sizeof(key) - strlen(key), "%s %s",
					 n > 1 ? "," : "", r->v[k].key);
			}
		if (n > s->max_ts_per_reqid) {
			s->max_ts_per_reqid = n;
			snprintf(s->reqid_key, sizeof(s->reqid_key), "%s", key);
		}
	}
}

/* One sample's counts by key: ESTABLISHED IKE_SAs per pair and INSTALLED
 * CHILD_SAs per TS pair (those with the SAs in REKEYING are the sample's
 * live_*). */
struct tallies {
	struct tally pairs[64], ts[64];
	int n_pairs, n_ts;
	struct reqids rq;
};

static void sample_child(struct sa_sample *s, const json_t *c, uint32_t ike_id, struct tallies *T)
{
	const char *st = jget_str_or(c, "state", "");
	char key[256], lts[96], rts[96];

	s->child++;
	if (!strcmp(st, "REKEYING"))
		s->child_rekeying++;
	else if (!strcmp(st, "REKEYED"))
		s->child_rekeyed++;
	else if (!strcmp(st, "DELETING") || !strcmp(st, "DELETED"))
		s->child_deleting++;
	if (in(st, child_up_states)) {
		size_t n = (size_t)s->n_child_ids + 1;

		s->child_ids = xrealloc(s->child_ids, n * sizeof(uint32_t));
		s->child_ike = xrealloc(s->child_ike, n * sizeof(uint32_t));
		s->child_steady = xrealloc(s->child_steady, n * sizeof(bool));
		s->child_ids[s->n_child_ids] = jid(c);
		s->child_steady[s->n_child_ids] = !strcmp(st, "INSTALLED");
		s->child_ike[s->n_child_ids++] = ike_id;
	}
	if (strcmp(st, "INSTALLED") && strcmp(st, "REKEYING"))
		return;
	list_join(json_object_get(c, "local-ts"), lts, sizeof(lts));
	list_join(json_object_get(c, "remote-ts"), rts, sizeof(rts));
	snprintf(key, sizeof(key), "%s %s === %s", jget_str_or(c, "name", ""), lts, rts);
	tally_add(s->live_ts, &s->n_live_ts, SAMPLE_LIVE, key);
	if (strcmp(st, "INSTALLED"))
		return;
	s->child_installed++;
	count_kid(s, jget_str_or(c, "name", ""));
	reqid_add(&T->rq, c, key);
	int n = tally_add(T->ts, &T->n_ts, 64, key);
	if (n > s->max_installed_per_ts) {
		s->max_installed_per_ts = n;
		snprintf(s->ts_key, sizeof(s->ts_key), "%s", key);
	}
}

static void sample_ike(struct sa_sample *s, const json_t *ike, struct tallies *T)
{
	const char *st = jget_str_or(ike, "state", "");
	size_t i;
	json_t *c;

	s->ike++;
	if (!strcmp(st, "ESTABLISHED"))
		s->ike_established++;
	else if (!strcmp(st, "CONNECTING") || !strcmp(st, "CREATED"))
		s->ike_connecting++;
	else if (!strcmp(st, "REKEYING") || !strcmp(st, "REKEYED"))
		s->ike_rekeying++;
	else if (!strcmp(st, "DELETING") || !strcmp(st, "DESTROYING"))
		s->ike_deleting++;
	if (in(st, ike_up_states)) {
		size_t n = (size_t)s->n_ike_ids + 1;

		s->ike_ids = xrealloc(s->ike_ids, n * sizeof(uint32_t));
		s->ike_steady = xrealloc(s->ike_steady, n * sizeof(bool));
		s->ike_steady[s->n_ike_ids] = !strcmp(st, "ESTABLISHED");
		s->ike_ids[s->n_ike_ids++] = jid(ike);
	}
	if (!strcmp(st, "ESTABLISHED") || !strcmp(st, "REKEYING")) {
		char key[256];
		int n;

		/* Per connection: two connections between one pair of
		 * gateways hold an IKE_SA each, by design. */
		snprintf(key, sizeof(key), "%s: %s[%s] <=> %s[%s]", jget_str_or(ike, "name", ""),
			 jget_str_or(ike, "local-id", ""), jget_str_or(ike, "local-host", ""),
			 jget_str_or(ike, "remote-id", ""), jget_str_or(ike, "remote-host", ""));
		tally_add(s->live_pairs, &s->n_live_pairs, SAMPLE_LIVE, key);
		n = !strcmp(st, "ESTABLISHED") ? tally_add(T->pairs, &T->n_pairs, 64, key) : 0;
		if (n > s->max_established_per_pair) {
			s->max_established_per_pair = n;
			snprintf(s->pair_key, sizeof(s->pair_key), "%s", key);
		}
	}
	json_array_foreach (json_object_get(ike, "child-sas"), i, c)
		sample_child(s, c, jid(ike), T);
}

void sample_from_sas(const json_t *list, double t, struct sa_sample *s)
{
	struct tallies *T = xcalloc(1, sizeof(*T));
	size_t i;
	json_t *ike;

	memset(s, 0, sizeof(*s));
	s->t = t;
	json_array_foreach (list, i, ike)
		sample_ike(s, ike, T);
	reqid_max(s, &T->rq);
	free(T);
	s->rekeying = s->ike_rekeying || s->ike_deleting || s->child_rekeying || s->child_rekeyed ||
		      s->child_deleting;
}

static bool kernel_has_sa(const struct xfrm_dump *d, const char *spi_hex)
{
	uint32_t spi = spi_hex ? (uint32_t)strtoul(spi_hex, NULL, 16) : 0;

	for (size_t i = 0; spi && i < d->n_sas; i++)
		if (d->sas[i].spi == spi && d->sas[i].proto == 50)
			return true;
	return false;
}

static bool kernel_has_policy(const struct xfrm_dump *d, const char *dir, const char *src,
			      const char *dst)
{
	for (size_t i = 0; i < d->n_policies; i++) {
		const struct xfrm_policy_info *p = &d->policies[i];

		if (p->templates && !strcmp(p->dir, dir) && !strcmp(p->src, src) &&
		    !strcmp(p->dst, dst))
			return true;
	}
	return false;
}

/* The first pair of selectors without its in or out policy (a selector
 * with ports or protocols, "10.1.0.0/16[tcp/80]", is not compared: the
 * dump gives addresses only). */
static bool child_policies(const json_t *c, const struct xfrm_dump *d, char *key, size_t len)
{
	size_t i, k;
	json_t *l, *rt;

	json_array_foreach (json_object_get(c, "local-ts"), i, l)
		json_array_foreach (json_object_get(c, "remote-ts"), k, rt) {
			const char *lts = json_string_value(l), *rts = json_string_value(rt);

			if (!lts || !rts || strchr(lts, '[') || strchr(rts, '['))
				continue;
			if (kernel_has_policy(d, "out", lts, rts) &&
			    kernel_has_policy(d, "in", rts, lts))
				continue;
			snprintf(key, len, "%s #%s: no in and out policy for %s === %s",
				 jget_str_or(c, "name", ""), jget_str_or(c, "uniqueid", "?"), lts,
				 rts);
			return false;
		}
	return true;
}

static void child_gaps(const json_t *c, const struct xfrm_dump *d, struct kernel_gaps *g)
{
	const char *in = jget_str(c, "spi-in"), *out = jget_str(c, "spi-out");
	char key[160];

	if (strcmp(jget_str_or(c, "state", ""), "INSTALLED"))
		return;
	if (!kernel_has_sa(d, in) || !kernel_has_sa(d, out)) {
		if (!g->missing_sas++)
			snprintf(g->sa_key, sizeof(g->sa_key), "%s #%s: no %s SA %s in the kernel",
				 jget_str_or(c, "name", ""), jget_str_or(c, "uniqueid", "?"),
				 kernel_has_sa(d, in) ? "outbound" : "inbound",
				 kernel_has_sa(d, in) ? (out ? out : "-") : (in ? in : "-"));
	}
	if (!child_policies(c, d, key, sizeof(key)) && !g->missing_policies++)
		snprintf(g->policy_key, sizeof(g->policy_key), "%s", key);
}

void kernel_gaps(const json_t *list, const struct xfrm_dump *d, struct kernel_gaps *out)
{
	size_t i, k;
	json_t *ike, *c;

	memset(out, 0, sizeof(*out));
	json_array_foreach (list, i, ike)
		json_array_foreach (json_object_get(ike, "child-sas"), k, c)
			child_gaps(c, d, out);
}

void sample_free(struct sa_sample *s)
{
	free(s->ike_ids);
	free(s->child_ids);
	free(s->child_ike);
	free(s->ike_steady);
	free(s->child_steady);
	memset(s, 0, sizeof(*s));
}

/* ---- duplicates --------------------------------------------------------- */

static const struct episode *dup_close(struct dup_tracker *d, double t, double grace)
{
	struct episode *e;

	d->active = false;
	d->closed_one = true;
	d->last_end = t;
	d->last_since = d->since;
	snprintf(d->last_key, sizeof(d->last_key), "%s", d->key);
	if (t - d->start <= grace)
		return NULL;
	d->found = xrealloc(d->found, (size_t)(d->n_found + 1) * sizeof(*d->found));
	e = &d->found[d->n_found++];
	e->since = d->since;
	e->start = d->start;
	e->end = t;
	e->max = d->max;
	snprintf(e->key, sizeof(e->key), "%s", d->key);
	return e;
}

int tally_of(const struct tally *v, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i].key, key))
			return v[i].n;
	return 0;
}

const struct episode *dup_update(struct dup_tracker *d, double t, int count, const char *key,
				 const struct tally *live, int n_live, double grace)
{
	/* the stretch's key, or the last one's in a dip: is it still up? */
	const char *mine = d->active ? d->key : d->last_key;
	int up = live ? tally_of(live, n_live, mine) : count;

	if (up <= 1)
		d->dip_live = false;
	if (count > 1) {
		if (!d->active) {
			bool same = d->closed_one && !strcmp(key, d->last_key) &&
				    (d->dip_live || t - d->last_end < DUP_BRIDGE_S);

			d->active = true;
			d->start = t;
			d->since = same ? d->last_since : t;
			d->max = 0;
		}
		if (count > d->max) {
			d->max = count;
			snprintf(d->key, sizeof(d->key), "%s", key);
		}
		return NULL;
	}
	if (!d->active)
		return NULL;
	d->dip_live = up > 1;
	return dup_close(d, t, grace);
}

const struct episode *dup_finish(struct dup_tracker *d, double t, double grace)
{
	return d->active ? dup_close(d, t, grace) : NULL;
}

void dup_forget(struct dup_tracker *d)
{
	d->closed_one = false;
	d->dip_live = false;
}

void dup_free(struct dup_tracker *d)
{
	free(d->found);
	memset(d, 0, sizeof(*d));
}

/* ---- the ledger ---------------------------------------------------------- */

void ledger_init(struct ledger *l, double grace)
{
	memset(l, 0, sizeof(*l));
	l->grace = grace;
}

void ledger_free(struct ledger *l)
{
	free(l->e);
	free(l->rekeys);
	memset(l, 0, sizeof(*l));
}

static struct ledger_entry *entry(struct ledger *l, bool child, uint32_t id)
{
	struct ledger_entry *e;

	for (int i = 0; i < l->n; i++)
		if (l->e[i].child == child && l->e[i].id == id)
			return &l->e[i];
	l->e = xrealloc(l->e, (size_t)(l->n + 1) * sizeof(*l->e));
	e = &l->e[l->n++];
	memset(e, 0, sizeof(*e));
	e->child = child;
	e->id = id;
	e->missing_since = -1;
	e->seen_since = -1;
	return e;
}

void ledger_up(struct ledger *l, bool child, uint32_t id, uint32_t ike_id)
{
	struct ledger_entry *e = entry(l, child, id);

	e->up = true;
	e->ike_id = ike_id;
	e->missing_since = -1;
	e->seen_since = -1;
}

void ledger_down(struct ledger *l, bool child, uint32_t id)
{
	entry(l, child, id)->up = false;
}

void ledger_ike_down(struct ledger *l, uint32_t ike_id)
{
	ledger_down(l, false, ike_id);
	for (int i = 0; i < l->n; i++)
		if (l->e[i].child && l->e[i].ike_id == ike_id)
			l->e[i].up = false;
}

void ledger_ike_rekey(struct ledger *l, uint32_t old_id, uint32_t new_id)
{
	/* The children move to the new IKE_SA. */
	for (int i = 0; i < l->n; i++)
		if (l->e[i].child && l->e[i].ike_id == old_id)
			l->e[i].ike_id = new_id;
	ledger_down(l, false, old_id);
	ledger_up(l, false, new_id, 0);
}

void ledger_child_rekey(struct ledger *l, uint32_t old_id, uint32_t new_id, uint32_t ike_id,
			double t, ledger_cb cb, void *ctx)
{
	for (int i = 0; i < l->n_rekeys; i++) {
		struct ledger_mismatch m = { LEDGER_DUPLICATE_EVENT, true, new_id, t, "" };

		if (l->rekeys[i][0] != old_id || l->rekeys[i][1] != new_id)
			continue;
		snprintf(m.explain, sizeof(m.explain),
			 "child-rekey for CHILD_SA #%u -> #%u arrived a second time (strongSwan "
			 "5.9.8 "
			 "can report one rekey twice); the ledger counts it once",
			 old_id, new_id);
		cb(ctx, &m);
		return;
	}
	l->rekeys = xrealloc(l->rekeys, (size_t)(l->n_rekeys + 1) * sizeof(*l->rekeys));
	l->rekeys[l->n_rekeys][0] = old_id;
	l->rekeys[l->n_rekeys++][1] = new_id;
	ledger_down(l, true, old_id);
	ledger_up(l, true, new_id, ike_id);
}

static bool listed(const uint32_t *ids, int n, uint32_t id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static void check_missing(struct ledger *l, const struct sa_sample *s, ledger_cb cb, void *ctx)
{
	for (int i = 0; i < l->n; i++) {
		struct ledger_entry *e = &l->e[i];
		bool present = e->child ? listed(s->child_ids, s->n_child_ids, e->id)
					: listed(s->ike_ids, s->n_ike_ids, e->id);

		if (!e->up || present) {
			e->missing_since = -1;
			continue;
		}
		if (e->missing_since < 0)
			e->missing_since = s->t;
		else if (s->t - e->missing_since > l->grace) {
			struct ledger_mismatch m = { LEDGER_EVENT_ONLY, e->child, e->id, s->t, "" };

			snprintf(m.explain, sizeof(m.explain),
				 "%s #%u was announced up but list-sas has not listed it for %.1f "
				 "s, "
				 "and no down or rekey event said it went away",
				 e->child ? "CHILD_SA" : "IKE_SA", e->id, s->t - e->missing_since);
			cb(ctx, &m);
			e->up = false;
		}
	}
}

static void check_unannounced(struct ledger *l, bool child, const uint32_t *ids, const bool *steady,
			      const uint32_t *ike, int n, double t, ledger_cb cb, void *ctx)
{
	for (int i = 0; i < n; i++) {
		struct ledger_entry *e = entry(l, child, ids[i]);

		if (e->up || (l->seeded && !steady[i]))
			continue;
		if (!l->seeded) {
			/* Up before the recording started. */
			ledger_up(l, child, ids[i], ike ? ike[i] : 0);
			continue;
		}
		if (e->seen_since < 0)
			e->seen_since = t;
		else if (t - e->seen_since > l->grace) {
			struct ledger_mismatch m = { LEDGER_SAMPLE_ONLY, child, ids[i], t, "" };

			snprintf(
				m.explain, sizeof(m.explain),
				"list-sas has shown %s #%u for %.1f s but no %s event announced it",
				child ? "CHILD_SA" : "IKE_SA", ids[i], t - e->seen_since,
				child ? "child-updown or child-rekey" : "ike-updown or ike-rekey");
			cb(ctx, &m);
			ledger_up(l, child, ids[i], ike ? ike[i] : 0);
		}
	}
}

void ledger_check(struct ledger *l, const struct sa_sample *s, ledger_cb cb, void *ctx)
{
	check_missing(l, s, cb, ctx);
	check_unannounced(l, false, s->ike_ids, s->ike_steady, NULL, s->n_ike_ids, s->t, cb, ctx);
	check_unannounced(l, true, s->child_ids, s->child_steady, s->child_ike, s->n_child_ids,
			  s->t, cb, ctx);
	l->seeded = true;
}

bool ledger_is_up(const struct ledger *l, bool child, uint32_t id)
{
	for (int i = 0; i < l->n; i++)
		if (l->e[i].child == child && l->e[i].id == id)
			return l->e[i].up;
	return false;
}

const char *ledger_what_name(enum ledger_what w)
{
	switch (w) {
	case LEDGER_SAMPLE_ONLY:
		return "sample-only";
	case LEDGER_EVENT_ONLY:
		return "event-only";
	case LEDGER_DUPLICATE_EVENT:
		return "duplicate-event";
	}
	return "?";
}

/* Does some stretch of samples with v >= k last longer than grace? A
 * stretch ends at the first sample below k, or at the last sample. */
static bool holds(const double *t, const int *v, int n, int k, double grace, double *since)
{
	for (int i = 0; i < n; i++) {
		int j = i;

		if (v[i] < k)
			continue;
		while (j + 1 < n && v[j + 1] >= k)
			j++;
		if ((j + 1 < n ? t[j + 1] : t[j]) - t[i] > grace) {
			*since = t[i];
			return true;
		}
		i = j;
	}
	return false;
}

int sustained_max(const double *t, const int *v, int n, double grace, double *since)
{
	int top = 0;

	*since = 0;
	for (int i = 0; i < n; i++)
		if (v[i] > top)
			top = v[i];
	for (int k = top; k > 0; k--)
		if (holds(t, v, n, k, grace, since))
			return k;
	return 0;
}

/* Each value replaced by the smallest (want_max: largest) in the grace
 * period before it. */
static void rolling(const double *t, const double *y, int n, double grace, bool want_max,
		    double *out)
{
	for (int i = 0, lo = 0; i < n; i++) {
		double m = y[i];

		while (t[i] - t[lo] > grace)
			lo++;
		for (int k = lo; k < i; k++)
			if (want_max ? y[k] > m : y[k] < m)
				m = y[k];
		out[i] = m;
	}
}

/* Morphological opening then closing over the grace period: the minimum
 * takes away rises shorter than grace (the overlap of a rekey), the
 * maximum after it restores what lasted; then the same the other way round
 * for dips (a sample caught between the old SA's delete and the new one's
 * install). Every edge ends up later by up to twice the grace, which shifts
 * a slope's intercept, not the slope. */
void sustained_level(const double *t, const double *y, int n, double grace, double *out)
{
	double *a = xcalloc((size_t)n + 1, sizeof(double));

	rolling(t, y, n, grace, false, a);
	rolling(t, a, n, grace, true, out);
	rolling(t, out, n, grace, true, a);
	rolling(t, a, n, grace, false, out);
	free(a);
}

double growth_per_hour(const double *t, const double *y, int n)
{
	double st = 0, sy = 0, stt = 0, sty = 0, d;

	if (n < 2)
		return 0;
	for (int i = 0; i < n; i++) {
		st += t[i];
		sy += y[i];
		stt += t[i] * t[i];
		sty += t[i] * y[i];
	}
	d = n * stt - st * st;
	return d > 0 ? (n * sty - st * sy) / d * 3600 : 0;
}
