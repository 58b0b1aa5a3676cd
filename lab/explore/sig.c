/*
 * sig.c - a trial's finding and its signature (sig.h): the verdict's first
 * violation, the phase the ledger shows around it, and the peer's log
 * (sig_log.c).
 */
#include "explore/sig-internal.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/util.h"
#include "charon/build.h"
#include "explore/gen.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIE_S 0.5                     /* violations this close are one */
#define EVENTS_MAX ((size_t)64 << 20) /* events.jsonl read back, at most */
#define PHASE_EXTRA_S 1.0             /* the phase window: grace plus this */
#define MAX_PEERS 8
#define SIG_MAX_MOMENTS 16 /* violations and episodes of a run, at most */

const char *const sig_invariant_order[] = {
	"crash",         "dup-ike",    "dup-child", "kernel-sas", "policies", "reqids",
	"acquire-rekey", "rekey-loss", "liveness",  "ledger",     "growth",   NULL,
};

static int rank_of(const char *inv)
{
	int i;

	for (i = 0; sig_invariant_order[i]; i++)
		if (inv && !strcmp(inv, sig_invariant_order[i]))
			return i;
	return i;
}

/* The invariant an expectation stands for; a key no invariant has
 * (a user's own) is its own name. */
static const char *invariant_of(const char *key)
{
	const char *inv = key ? gen_invariant_of_key(key) : NULL;

	return inv ? inv : key ? key : "unknown";
}

static double at_of(const json_t *e)
{
	double at;

	return jget_num_or(e, "at", HUGE_VAL) < HUGE_VAL && jget_num(e, "at", &at) && isfinite(at)
		       ? at
		       : HUGE_VAL;
}

/* A moment something was violated: one expectation, or one episode of
 * duplicates of it (summary.json's "duplicates": each stretch of them
 * past the grace, where the expectation holds only the first), at the
 * episode's "since": where its duplicates began. */
struct moment {
	double at;
	const char *key;
	char *peer, *detail;
	int rank;
	bool onset; /* `at` is where it began (an episode), not where it broke */
};

struct moments {
	struct moment m[SIG_MAX_MOMENTS];
	unsigned n;
};

static void add_moment(struct moments *M, double at, bool onset, const char *key, const char *peer,
		       char *detail)
{
	struct moment *m;

	if (M->n == SIG_MAX_MOMENTS) {
		free(detail);
		return;
	}
	m = &M->m[M->n++];
	m->at = at;
	m->key = key;
	m->peer = peer ? xstrdup(peer) : NULL;
	m->detail = detail;
	m->rank = rank_of(invariant_of(key));
	m->onset = onset;
}

/* Where an episode's duplicates began: summary.json's "since" (a
 * duplicate rekeyed within the grace dips below two while it is REKEYING,
 * and the stretch after the dip is still the duplicate the race made);
 * recordings from before "since" was written give their start. */
static double episode_since(const json_t *d)
{
	double start = jget_num_or(d, "start", 0), since = jget_num_or(d, "since", start);

	return isfinite(since) && since < start ? since : start;
}

static char *episode_detail(const json_t *d, const char *kind)
{
	double start = jget_num_or(d, "start", 0), since = episode_since(d);
	char *dip = since < start ? xasprintf("; past a dip, this stretch from %.1f s", start)
				  : xstrdup("");
	char *s = xasprintf("%.0f %s on %s from %.1f s to %.1f s (%s%s)", jget_num_or(d, "max", 0),
			    !strcmp(kind, "ike") ? "ESTABLISHED IKE_SAs"
						 : "INSTALLED CHILD_SAs for one TS pair",
			    jget_str_or(d, "peer", "?"), since, jget_num_or(d, "end", 0),
			    jget_str_or(d, "key", "?"), dip);

	free(dip);
	return s;
}

/* Each episode of one kind of duplicates ("ike", "child"), at the moment
 * its duplicates began; false when the run recorded none (then the
 * expectation's own moment stands). */
static bool episodes(struct moments *M, const json_t *sum, const char *kind, const char *key)
{
	const json_t *d;
	bool any = false;
	size_t i;

	json_array_foreach (json_object_get(sum, "duplicates"), i, d) {
		if (!jget_str(d, "kind") || strcmp(jget_str(d, "kind"), kind))
			continue;
		add_moment(M, episode_since(d), true, key, jget_str(d, "peer"),
			   episode_detail(d, kind));
		any = true;
	}
	return any;
}

static void collect(struct moments *M, const json_t *sum)
{
	const json_t *e;
	size_t i;

	json_array_foreach (json_object_get(sum, "expectations"), i, e) {
		const char *key = jget_str(e, "name");
		double at = at_of(e);

		if (json_is_true(json_object_get(e, "held")) || !key)
			continue;
		if ((!strcmp(key, "max_ike_per_peer") && episodes(M, sum, "ike", key)) ||
		    (!strcmp(key, "max_child_per_ts") && episodes(M, sum, "child", key)))
			continue;
		add_moment(M, at < HUGE_VAL ? at : jget_num_or(sum, "duration_s", 0), false, key,
			   jget_str(e, "peer"), xstrdup(jget_str_or(e, "detail", "")));
	}
}

static int by_time(const void *a, const void *b)
{
	const struct moment *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

/* ---- the ledger ------------------------------------------------------------ */

/* What the ledger says happened in the window, and how many IKE_SAs each
 * peer had up before each ike-updown. */
struct phase_scan {
	double from, to;
	char peer[MAX_PEERS][32];
	int up[MAX_PEERS];  /* IKE_SAs up per peer */
	int old[MAX_PEERS]; /* of them up before the window, as it opened */
	bool opened;
	int n_peers;
	bool ike_rekey, child_rekey, reauth, establish, expire, acquire;
	char action[32]; /* the last scheduled action in the window */
};

static int peer_index(struct phase_scan *p, const char *peer)
{
	for (int i = 0; i < p->n_peers; i++)
		if (!strcmp(p->peer[i], peer))
			return i;
	if (p->n_peers == MAX_PEERS || strlen(peer) >= sizeof(p->peer[0]))
		return -1;
	snprintf(p->peer[p->n_peers], sizeof(p->peer[0]), "%s", peer);
	p->up[p->n_peers] = p->old[p->n_peers] = 0;
	return p->n_peers++;
}

/* An IKE_SA up in the window beside one that was up before it opened is a
 * reauthentication (or a second SA made while one lived); one beside none
 * of those an establishment, also when two come up at once. */
static void ike_updown(struct phase_scan *p, const json_t *ev, const char *peer, bool in)
{
	int i = peer_index(p, peer);

	if (i < 0)
		return;
	if (in && !p->opened) {
		p->opened = true;
		memcpy(p->old, p->up, sizeof(p->old));
	}
	if (!json_is_true(json_object_get(ev, "up"))) {
		p->up[i] -= p->up[i] > 0;
		return;
	}
	if (in && p->old[i] > 0)
		p->reauth = true;
	else if (in)
		p->establish = true;
	p->up[i]++;
}

static void see_event(struct phase_scan *p, const json_t *ev, struct sig_clock *clk)
{
	const char *kind = jget_str(ev, "kind"), *src = jget_str(ev, "source");
	const char *peer = jget_str(ev, "peer");
	double t = jget_num_or(ev, "t", -1);
	bool in = t >= p->from && t <= p->to;

	if (!kind || !src)
		return;
	if (!clk->known && !strcmp(kind, "record-start")) {
		double w = sig_parse_wall(jget_str(ev, "wall"));

		clk->known = w >= 0;
		clk->t0 = w - t;
	}
	if (!strcmp(kind, "ike-updown") && peer) {
		if (clk->first_up < 0 && json_is_true(json_object_get(ev, "up")))
			clk->first_up = sig_parse_wall(jget_str(ev, "wall"));
		ike_updown(p, ev, peer, in);
	}
	if (!in)
		return;
	p->ike_rekey |= !strcmp(kind, "ike-rekey");
	p->child_rekey |= !strcmp(kind, "child-rekey");
	p->expire |= !strcmp(kind, "expire");
	p->acquire |= !strcmp(kind, "acquire");
	if (!strcmp(src, "schedule") && strlen(kind) < sizeof(p->action) - 8)
		snprintf(p->action, sizeof(p->action), "action:%s", kind);
}

static const char *phase_name(const struct phase_scan *p)
{
	return p->ike_rekey     ? "ike-rekey"
	       : p->child_rekey ? "child-rekey"
	       : p->reauth      ? "reauth"
	       : p->establish   ? "establish"
	       : p->expire      ? "expire"
	       : p->acquire     ? "acquire"
	       : p->action[0]   ? p->action
				: "steady";
}

/* The phase of the window [from, to], and the run's clock, from
 * events.jsonl; "steady" and an unknown clock when it cannot be read. */
static char *read_phase(const char *run_dir, double from, double to, struct sig_clock *clk)
{
	struct phase_scan p = { .from = from, .to = to };
	char *text = NULL, *save = NULL, *line;

	clk->first_up = -1;
	if (read_file_beneath(run_dir, "events.jsonl", EVENTS_MAX, &text, NULL) < 0)
		err_clear();
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *ev = json_loads(line, 0, NULL);

		if (ev && jget_num_or(ev, "t", HUGE_VAL) <= to)
			see_event(&p, ev, clk);
		json_decref(ev);
	}
	free(text);
	return xstrdup(phase_name(&p));
}

/* ---- the signature ------------------------------------------------------------ */

void sig_id(const char *signature, char id[9])
{
	uint64_t h = charon_hash64(signature, strlen(signature), CHARON_HASH_INIT);

	snprintf(id, 9, "%08" PRIx32, (uint32_t)(h ^ (h >> 32)));
}

static void compose(struct finding *f)
{
	struct strbuf sb = { 0 };
	unsigned keyed = 0;

	sb_addf(&sb, "%s | %s | %s | ", f->invariant, f->phase, f->exchange);
	for (unsigned i = 0; i < f->n_markers; i++)
		if (sig_marker_keyed(f->markers[i]))
			sb_addf(&sb, "%s%s", keyed++ ? "; " : "", f->markers[i]);
	if (!keyed)
		sb_addf(&sb, "-");
	f->signature = sb.buf;
	sig_id(f->signature, f->id);
}

/* The peers whose logs tell, their lines in [from, at]: the violation's
 * (every one's when it has none) for its exchanges and markers, and for
 * duplicates the others' markers that key a signature too -- an end that
 * destroys an IKE_SA on an INITIAL_CONTACT leaves a duplicate on the
 * other end, whose log says nothing of it. */
static void read_logs(const char *run_dir, const json_t *sum, const struct sig_clock *clk,
		      double from, double at, struct finding *f)
{
	bool duplicates = !strcmp(f->invariant, "dup-ike") || !strcmp(f->invariant, "dup-child");
	struct sig_exchanges ex = { 0 };
	const char *k;
	json_t *v;

	int n = 0;

	json_object_foreach (json_object_get(sum, "peers"), k, v) {
		bool own = !f->peer || !strcmp(k, f->peer);

		if (n++ < MAX_PEERS && (own || duplicates))
			sig_read_log(run_dir, k, clk, from, at, own ? &ex : NULL, f);
	}
	f->exchange = xstrdup(ex.last[0] ? ex.last : "-");
	f->exchanges = sig_exchanges_take(&ex);
}

/* The window a finding's phase and log lines are read in. A violation's
 * cause began a grace before it broke: the grace and a second before it
 * (and a little after: the ledger's events can lag the sample). An onset
 * -- where duplicates began -- is its own cause: a second before it, and
 * after it only the time a VICI event can lag the sample that saw its SA
 * (a rekey 0.2 s after a uniqueness race did not make it). */
#define ONSET_LAG_S 0.05

static void window_of(const struct moment *m, double grace, double *from, double *to)
{
	*from = m->at - PHASE_EXTRA_S - (m->onset ? 0 : grace);
	*to = m->at + (m->onset ? ONSET_LAG_S : 0.25);
}

/* The finding of the moments M[0..N) (one moment, in time): the invariant
 * ranked first stands for it, the others' keys are its `also`. */
static void finding_of(const char *run_dir, const json_t *sum, const struct moment *m, unsigned n,
		       struct finding *f)
{
	const struct moment *best = &m[0];
	struct sig_clock clk = { 0 };
	double grace = jget_num_or(sum, "grace_s", 2), from, to;

	for (unsigned i = 1; i < n; i++)
		if (m[i].rank < best->rank)
			best = &m[i];
	f->expectation = xstrdup(best->key);
	f->invariant = xstrdup(invariant_of(best->key));
	f->detail = xstrdup(best->detail ? best->detail : "");
	f->peer = best->peer ? xstrdup(best->peer) : NULL;
	f->at = best->at;
	f->also = json_array();
	for (unsigned i = 0; i < n; i++)
		if (strcmp(m[i].key, best->key))
			json_array_append_new(f->also, json_string(m[i].key));
	window_of(best, grace, &from, &to);
	f->phase = read_phase(run_dir, from, to, &clk);
	read_logs(run_dir, sum, &clk, from, f->at, f);
	compose(f);
}

int sig_of_run(const char *run_dir, struct finding **out, unsigned *n_out)
{
	json_t *sum = json_load_beneath(run_dir, "summary.json", JSON_RUN_MAX);
	struct moments M = { 0 };
	unsigned n = 0;

	*out = NULL;
	*n_out = 0;
	if (!sum)
		return -1;
	collect(&M, sum);
	qsort(M.m, M.n, sizeof(M.m[0]), by_time);
	*out = xcalloc(M.n ? M.n : 1, sizeof(**out));
	for (unsigned i = 0, j; i < M.n; i = j) {
		for (j = i + 1; j < M.n && M.m[j].at - M.m[i].at <= TIE_S; j++)
			;
		finding_of(run_dir, sum, &M.m[i], j - i, &(*out)[n++]);
	}
	for (unsigned i = 0; i < M.n; i++) {
		free(M.m[i].peer);
		free(M.m[i].detail);
	}
	json_decref(sum);
	*n_out = n;
	return (int)n;
}

void findings_free(struct finding *f, unsigned n)
{
	for (unsigned i = 0; f && i < n; i++)
		finding_free(&f[i]);
	free(f);
}

void finding_free(struct finding *f)
{
	free(f->invariant);
	free(f->expectation);
	free(f->phase);
	free(f->exchanges);
	free(f->exchange);
	for (unsigned i = 0; i < f->n_markers; i++)
		free(f->markers[i]);
	free(f->peer);
	free(f->detail);
	free(f->signature);
	json_decref(f->also);
	memset(f, 0, sizeof(*f));
}
