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

#define TIE_S 0.5                      /* violations this close are one */
#define EVENTS_MAX ((size_t)256 << 20) /* events.jsonl read back, at most */
#define PHASE_EXTRA_S 1.0              /* the phase window: grace plus this */
#define MAX_PEERS 8

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

	return jget_num(e, "at", &at) && isfinite(at) ? at : HUGE_VAL;
}

/* The run's first violation: the earliest, a tie going to the invariant
 * first in sig_invariant_order. */
static const json_t *first_violation(const json_t *sum)
{
	const json_t *best = NULL, *e;
	size_t i;

	json_array_foreach (json_object_get(sum, "expectations"), i, e) {
		double d;

		if (json_is_true(json_object_get(e, "held")) || !jget_str(e, "name"))
			continue;
		d = best ? at_of(e) - at_of(best) : -HUGE_VAL;
		if (!best || d < -TIE_S ||
		    (fabs(d) <= TIE_S && rank_of(invariant_of(jget_str(e, "name"))) <
						 rank_of(invariant_of(jget_str(best, "name")))))
			best = e;
	}
	return best;
}

static json_t *others(const json_t *sum, const json_t *first)
{
	json_t *names = json_array(), *e;
	size_t i;

	json_array_foreach (json_object_get(sum, "expectations"), i, e)
		if (e != first && !json_is_true(json_object_get(e, "held")) && jget_str(e, "name"))
			json_array_append(names, json_object_get(e, "name"));
	return names;
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

	sb_addf(&sb, "%s | %s | %s | ", f->invariant, f->phase, f->exchanges);
	for (unsigned i = 0; i < f->n_markers; i++)
		sb_addf(&sb, "%s%s", i ? "; " : "", f->markers[i]);
	if (!f->n_markers)
		sb_addf(&sb, "-");
	f->signature = sb.buf;
	sig_id(f->signature, f->id);
}

/* The peers whose logs tell: the violation's, else every one. */
static void read_logs(const char *run_dir, const json_t *sum, const struct sig_clock *clk,
		      double at, struct finding *f)
{
	double from = at - jget_num_or(sum, "grace_s", 2) - PHASE_EXTRA_S;
	struct sig_exchanges ex = { 0 };
	const char *k;
	json_t *v;

	if (f->peer)
		sig_read_log(run_dir, f->peer, clk, from, at, &ex, f);
	else
		json_object_foreach (json_object_get(sum, "peers"), k, v)
			sig_read_log(run_dir, k, clk, from, at, &ex, f);
	f->exchanges = sig_exchanges_take(&ex);
}

int sig_of_run(const char *run_dir, struct finding *f)
{
	json_t *sum = json_load_beneath(run_dir, "summary.json", JSON_RUN_MAX);
	const json_t *e;
	struct sig_clock clk = { 0 };
	double at, grace;

	memset(f, 0, sizeof(*f));
	if (!sum)
		return -1;
	e = first_violation(sum);
	if (!e) {
		json_decref(sum);
		return 0;
	}
	at = at_of(e) < HUGE_VAL ? at_of(e) : jget_num_or(sum, "duration_s", 0);
	grace = jget_num_or(sum, "grace_s", 2);
	f->expectation = xstrdup(jget_str(e, "name"));
	f->invariant = xstrdup(invariant_of(f->expectation));
	f->detail = xstrdup(jget_str_or(e, "detail", ""));
	f->peer = jget_str(e, "peer") ? xstrdup(jget_str(e, "peer")) : NULL;
	f->at = at;
	f->also = others(sum, e);
	f->phase = read_phase(run_dir, at - grace - PHASE_EXTRA_S, at + 0.25, &clk);
	read_logs(run_dir, sum, &clk, at, f);
	compose(f);
	json_decref(sum);
	return 1;
}

void finding_free(struct finding *f)
{
	free(f->invariant);
	free(f->expectation);
	free(f->phase);
	free(f->exchanges);
	for (unsigned i = 0; i < f->n_markers; i++)
		free(f->markers[i]);
	free(f->peer);
	free(f->detail);
	free(f->signature);
	json_decref(f->also);
	memset(f, 0, sizeof(*f));
}
