#include "judge/verdict.h"
#include "judge/verdict-internal.h"
#include "base/json.h"
#include "base/err.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AROUND_S 2.0       /* events shown around a violation */
#define EVENT_BEFORE_S 0.5 /* loss counted around one rekey or reauth */
#define EVENT_AFTER_S 3.0

/* Each line of DIR/NAME through PARSE (NULL: skip the line) into an array.
 * A file the run did not write is an empty array: a run without traffic
 * has no traffic.csv, and its loss expectations hold trivially. */
static json_t *load_lines(const char *dir, const char *name, json_t *(*parse)(const char *))
{
	char *path = xasprintf("%s/%s", dir, name), *text, *line, *save;
	json_t *arr = json_array();

	if (read_file(path, &text, NULL) < 0) {
		err_clear();
		free(path);
		return arr;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *e = parse(line);

		if (e)
			json_array_append_new(arr, e);
	}
	free(text);
	free(path);
	return arr;
}

static json_t *parse_event(const char *line)
{
	return json_loads(line, 0, NULL);
}

/* traffic.csv: t,dir,tx,rx,lost,dup,reorder -> [t, lost] */
static json_t *parse_traffic(const char *line)
{
	double t;
	long tx, rx, lost;
	char d[64];

	if (sscanf(line, "%lf,%63[^,],%ld,%ld,%ld", &t, d, &tx, &rx, &lost) != 5)
		return NULL;
	return json_pack("[f, I]", t, (json_int_t)lost);
}

static void add(struct run *r, const char *name, double limit, double actual, double at,
		const char *peer, const char *detail)
{
	json_t *e = json_pack("{s:s, s:f, s:f, s:b, s:s}", "name", name, "limit", limit, "actual",
			      actual, "held", actual <= limit, "detail", detail);

	if (actual > limit) {
		json_object_set_new(e, "at", json_real(at));
		if (peer)
			json_object_set_new(e, "peer", json_string(peer));
	}
	json_array_append_new(r->out, e);
}

/* The worst peer for a per-peer number in summary.json. */
static double worst(const struct run *r, const char *key, const char *since_key, const char **peer,
		    double *since)
{
	const char *name;
	json_t *p;
	double max = 0;

	*peer = NULL;
	*since = 0;
	json_object_foreach (json_object_get(r->summary, "peers"), name, p) {
		double v = json_number_value(json_object_get(p, key));

		if (*peer && v <= max)
			continue;
		max = v;
		*peer = name;
		*since = since_key ? json_number_value(json_object_get(p, since_key)) : 0;
	}
	return max;
}

static void expect_sustained(struct run *r, const char *name, const uint32_t *limit,
			     const char *key, const char *since_key, const char *what)
{
	const char *peer;
	double since, v;
	char detail[256];

	if (!limit)
		return;
	v = worst(r, key, since_key, &peer, &since);
	snprintf(detail, sizeof(detail), "%s, lasting longer than the %.1f s grace: %.0f%s%s", what,
		 r->s->grace_s, v, peer ? " on " : "", peer ? peer : "");
	add(r, name, *limit, v, since, peer, detail);
}

/* Which CHILD_SAs shared the reqid: the first such episode's key. */
static void expect_unique_reqids(struct run *r)
{
	static const uint32_t one = 1;
	const char *key = NULL;
	size_t i, n = json_array_size(r->out);
	json_t *d, *e;

	expect_sustained(r, "unique_reqids", &one, "sustained_max_ts_per_reqid",
			 "sustained_max_ts_per_reqid_since",
			 "most INSTALLED CHILD_SAs of different names or traffic selectors on one "
			 "reqid");
	json_array_foreach (json_object_get(r->summary, "duplicates"), i, d)
		if (!key && !strcmp(jget_str(d, "kind") ?: "", "reqid"))
			key = jget_str(d, "key");
	e = json_array_get(r->out, n);
	if (key && e && !json_is_true(json_object_get(e, "held")))
		json_object_set_new(e, "detail",
				    json_sprintf("%s (%s)", jget_str(e, "detail"), key));
}

static void expect_sustained_maxima(struct run *r, const struct sc_expect *x)
{
	static const uint32_t zero = 0;

	expect_sustained(r, "max_ike_per_peer", x->max_ike_per_peer, "sustained_max_ike_per_pair",
			 "sustained_max_ike_since",
			 "most ESTABLISHED IKE_SAs between the two peers");
	expect_sustained(r, "max_child_per_ts", x->max_child_per_ts, "sustained_max_child_per_ts",
			 "sustained_max_child_since", "most INSTALLED CHILD_SAs for one TS pair");
	if (x->unique_reqids && *x->unique_reqids)
		expect_unique_reqids(r);
	if (x->kernel_sa_pairs && *x->kernel_sa_pairs)
		expect_sustained(r, "kernel_sa_pairs", &zero, "sustained_max_missing_sas",
				 "sustained_max_missing_sas_since",
				 "most INSTALLED CHILD_SAs without their inbound or outbound SA in "
				 "the kernel");
	if (x->policies_match && *x->policies_match)
		expect_sustained(r, "policies_match", &zero, "sustained_max_missing_policies",
				 "sustained_max_missing_policies_since",
				 "most INSTALLED CHILD_SAs without an in and an out policy for "
				 "their selectors");
}

static void expect_growth(struct run *r, const char *name, const char *limit, const char *key)
{
	const char *peer;
	double since, v;
	char detail[160];

	if (!limit)
		return;
	v = worst(r, key, NULL, &peer, &since);
	snprintf(detail, sizeof(detail), "least-squares growth over the run: %.1f per hour%s%s", v,
		 peer ? " on " : "", peer ? peer : "");
	add(r, name, strtod(limit, NULL), v, 0, peer, detail);
}

static double first_event(const struct run *r, const char *kind, const char *flag, bool want)
{
	size_t i;
	json_t *e;

	json_array_foreach (r->events, i, e) {
		const char *k = jget_str(e, "kind");

		if (!k || strcmp(k, kind))
			continue;
		if (flag && json_is_true(json_object_get(e, flag)) != want)
			continue;
		return json_number_value(json_object_get(e, "t"));
	}
	return 0;
}

/* Acquires counted per peer under key (all of them, or those while a rekey
 * or reauthentication was in flight), judged against limit. */
static void expect_acquire_count(struct run *r, const char *name, const uint32_t *limit,
				 const char *key, const char *what)
{
	const char *peer;
	json_t *p;
	double n = 0;
	char detail[160];

	if (!limit)
		return;
	json_object_foreach (json_object_get(r->summary, "peers"), peer, p)
		n += json_number_value(json_object_get(p, key));
	snprintf(detail, sizeof(detail), "%s: %.0f", what, n);
	add(r, name, *limit, n,
	    strcmp(key, "acquires") ? first_event(r, "acquire", "during_rekey", true)
				    : first_event(r, "acquire", NULL, false),
	    NULL, detail);
}

static void expect_acquires(struct run *r)
{
	expect_acquire_count(r, "max_acquires", r->s->expectations->max_acquires, "acquires",
			     "kernel acquires (traffic a trap policy caught with no SA for it)");
	expect_acquire_count(r, "max_acquires_during_rekey",
			     r->s->expectations->max_acquires_during_rekey, "acquires_during_rekey",
			     "kernel acquires while a rekey or reauthentication was in flight");
}

static void expect_loss(struct run *r)
{
	const char *dir;
	json_t *t;
	double lost = 0, at = 0;
	size_t i;
	json_t *row;
	char detail[128];

	if (!r->s->expectations->max_lost_packets)
		return;
	json_object_foreach (json_object_get(r->summary, "traffic"), dir, t)
		lost += json_number_value(json_object_get(t, "lost"));
	json_array_foreach (r->traffic, i, row)
		if (json_integer_value(json_array_get(row, 1)) > 0) {
			at = json_number_value(json_array_get(row, 0));
			break;
		}
	snprintf(detail, sizeof(detail), "probe packets lost, both directions: %.0f", lost);
	add(r, "max_lost_packets", *r->s->expectations->max_lost_packets, lost, at, NULL, detail);
}

/* "alice>bob" as "from alice to bob" (the probe's direction names). */
static const char *dir_text(char *buf, size_t len, const char *dir)
{
	const char *gt = dir ? strchr(dir, '>') : NULL;

	if (!gt)
		snprintf(buf, len, "either way");
	else
		snprintf(buf, len, "from %.*s to %s", (int)(gt - dir), dir, gt + 1);
	return buf;
}

/* Each direction on its own: traffic one way only is lost traffic too. */
static void expect_loss_each_way(struct run *r)
{
	const uint32_t *limit = r->s->expectations->max_lost_each_way;
	const char *dir, *worst = NULL;
	double most = 0, at = 0;
	json_t *t, *w;
	char detail[160], way[80];
	size_t i;

	if (!limit)
		return;
	json_object_foreach (json_object_get(r->summary, "traffic"), dir, t) {
		double lost = json_number_value(json_object_get(t, "lost"));

		if (worst && lost <= most)
			continue;
		most = lost;
		worst = dir;
		at = 0;
		json_array_foreach (json_object_get(t, "loss_windows"), i, w)
			if (!at)
				at = json_number_value(json_object_get(w, "start"));
	}
	snprintf(detail, sizeof(detail), "probe packets lost %s: %.0f",
		 dir_text(way, sizeof(way), worst), most);
	add(r, "max_lost_each_way", *limit, most, at, NULL, detail);
}

/* The longest stretch in which every probe packet of one direction was
 * lost: the outage a user of the tunnel sees. */
static void expect_outage(struct run *r)
{
	const uint32_t *limit = r->s->expectations->max_outage_ms;
	const char *dir, *worst = NULL;
	double longest = 0, at = 0;
	json_t *t, *w;
	char detail[160], way[80];
	size_t i;

	if (!limit)
		return;
	json_object_foreach (json_object_get(r->summary, "traffic"), dir, t)
		json_array_foreach (json_object_get(t, "loss_windows"), i, w) {
			double s = json_number_value(json_object_get(w, "start"));
			double ms = (json_number_value(json_object_get(w, "end")) - s) * 1000;

			if (ms <= longest)
				continue;
			longest = ms;
			at = s;
			worst = dir;
		}
	snprintf(detail, sizeof(detail), "the longest run of lost probe packets, %s: %.0f ms",
		 dir_text(way, sizeof(way), worst), longest);
	add(r, "max_outage_ms", *limit, longest, at, NULL, detail);
}

static bool rekey_like(const json_t *e)
{
	const char *k = jget_str(e, "kind");

	if (!k)
		return false;
	if (!strcmp(k, "child-rekey") || !strcmp(k, "ike-rekey"))
		return true;
	/* A new IKE_SA: a reauthentication (or a duplicate being made). */
	return !strcmp(k, "ike-updown") && json_is_true(json_object_get(e, "up"));
}

/* When the tunnel was first up on every peer: the latest of each peer's
 * first child-updown up (peers without one do not count; 0 when none
 * has one). Loss before it is the establishment's -- the packets a trap
 * policy caught while the first SAs were negotiated -- not a rekey's. */
static double tunnel_up_at(const struct run *r)
{
	json_t *firsts = json_object(), *e;
	const char *peer;
	double latest = 0;
	size_t i;

	json_array_foreach (r->events, i, e) {
		const char *k = jget_str(e, "kind"), *p = jget_str(e, "peer");

		if (!k || !p || strcmp(k, "child-updown") ||
		    !json_is_true(json_object_get(e, "up")) || json_object_get(firsts, p))
			continue;
		json_object_set(firsts, p, json_object_get(e, "t"));
	}
	json_object_foreach (firsts, peer, e)
		if (json_number_value(e) > latest)
			latest = json_number_value(e);
	json_decref(firsts);
	return latest;
}

static void expect_loss_per_event(struct run *r)
{
	double worst_lost = 0, worst_t = 0, up_at;
	const char *worst_kind = "none";
	size_t i, j;
	json_t *e, *row;
	char detail[200];

	if (!r->s->expectations->max_lost_per_event)
		return;
	up_at = tunnel_up_at(r);
	json_array_foreach (r->events, i, e) {
		double t = json_number_value(json_object_get(e, "t")), lost = 0;

		if (!rekey_like(e))
			continue;
		json_array_foreach (r->traffic, j, row) {
			double rt = json_number_value(json_array_get(row, 0));

			if (rt >= t - EVENT_BEFORE_S && rt <= t + EVENT_AFTER_S && rt >= up_at)
				lost += (double)json_integer_value(json_array_get(row, 1));
		}
		if (lost > worst_lost) {
			worst_lost = lost;
			worst_t = t;
			worst_kind = jget_str(e, "kind");
		}
	}
	snprintf(detail, sizeof(detail),
		 "most probe packets lost from %.1f s before to %.1f s "
		 "after one rekey or reauthentication, once the tunnel was first up: %.0f "
		 "(around a %s)",
		 EVENT_BEFORE_S, EVENT_AFTER_S, worst_lost, worst_kind);
	add(r, "max_lost_per_event", *r->s->expectations->max_lost_per_event, worst_lost, worst_t,
	    NULL, detail);
}

/*
 * ledger_agrees: the recorder's event ledger (record/analysis.h) against
 * the list-sas samples, as summary.json's "ledger" has it (and
 * rec_so_far while the run goes on). A sample-only mismatch (an SA listed
 * that no event announced) and an event-only one (an SA announced up that
 * vanished without a down or rekey event) count. A duplicate-event one
 * does not: it is one child-rekey reported twice (a known 5.9.8 quirk),
 * the ledger counts the rekey once and so still agrees with the samples;
 * the detail says how many there were. The run's mismatches only grow,
 * so a violation settles the verdict early too.
 */
static void expect_ledger(struct run *r, const struct sc_expect *x)
{
	json_t *details = json_object_get(json_object_get(r->summary, "ledger"), "details");
	const json_t *first = NULL;
	unsigned n = 0, dups = 0;
	char detail[400];
	size_t i;
	json_t *m;

	if (!x->ledger_agrees || !*x->ledger_agrees)
		return;
	json_array_foreach (details, i, m) {
		const char *what = jget_str(json_object_get(m, "detail"), "what");

		if (what && !strcmp(what, "duplicate-event")) {
			dups++;
			continue;
		}
		first = first ? first : m;
		n++;
	}
	if (first)
		snprintf(detail, sizeof(detail),
			 "event ledger mismatches with list-sas: %u (duplicate events, not "
			 "counted: %u); the first at %.1f s on %s: %s",
			 n, dups, json_number_value(json_object_get(first, "t")),
			 jget_str(first, "peer") ?: "?",
			 jget_str(json_object_get(first, "detail"), "explain") ?: "?");
	else
		snprintf(detail, sizeof(detail),
			 "event ledger mismatches with list-sas: 0 (duplicate events, not "
			 "counted: %u)",
			 dups);
	add(r, "ledger_agrees", 0, n, first ? json_number_value(json_object_get(first, "t")) : 0,
	    first ? jget_str(first, "peer") : NULL, detail);
}

static void expect_no_crash(struct run *r)
{
	const struct sc_expect *x = r->s->expectations;
	double crashes = json_number_value(json_object_get(r->summary, "crashes"));

	if (x && x->no_crash && !*x->no_crash)
		return;
	add(r, "no_crash", 0, crashes, first_event(r, "charon-exit", "scheduled", false), NULL,
	    crashes ? "a charon died without the schedule killing it"
		    : "no charon died unless the schedule killed it");
}

json_t *verdict_evaluate(const char *run_dir, const struct scenario *s)
{
	static const struct sc_expect none;
	const struct sc_expect *x = s->expectations ? s->expectations : &none;
	char *path = xasprintf("%s/summary.json", run_dir);
	struct run r = { .s = s };
	json_error_t je;
	json_t *v;
	int violated = 0;
	size_t i;
	json_t *e;

	r.summary = json_load_file(path, 0, &je);
	free(path);
	if (!r.summary)
		return err_set("%s/summary.json: %s", run_dir, je.text), NULL;
	r.events = load_lines(run_dir, "events.jsonl", parse_event);
	r.traffic = load_lines(run_dir, "traffic.csv", parse_traffic);
	r.out = json_array();
	expect_sustained_maxima(&r, x);
	expect_growth(&r, "max_ike_growth_per_hour", x->max_ike_growth_per_hour,
		      "ike_growth_per_hour");
	expect_growth(&r, "max_child_growth_per_hour", x->max_child_growth_per_hour,
		      "child_growth_per_hour");
	if (s->expectations) {
		expect_acquires(&r);
		expect_loss(&r);
		expect_loss_per_event(&r);
		expect_loss_each_way(&r);
		expect_outage(&r);
		vj_expect_stats(&r);
		vj_expect_events(&r);
		vj_expect_logs(&r, run_dir);
		expect_ledger(&r, x);
	}
	expect_no_crash(&r);
	json_array_foreach (r.out, i, e)
		if (!json_is_true(json_object_get(e, "held")))
			violated++;
	v = json_object();
	if (!strcmp(jget_str(r.summary, "verdict") ?: "", "lab-error") || r.missing)
		json_object_set_new(v, "result", json_string(verdict_name(VERDICT_LAB_ERROR)));
	else if (s->reproduces)
		json_object_set_new(v, "result",
				    json_string(verdict_name(violated ? VERDICT_REPRODUCED
								      : VERDICT_NOT_REPRODUCED)));
	else
		json_object_set_new(
			v, "result",
			json_string(verdict_name(violated ? VERDICT_FAIL : VERDICT_PASS)));
	if (r.missing && !json_is_string(json_object_get(r.summary, "lab_error")))
		json_object_set_new(v, "lab_error", json_string(r.missing));
	else
		json_object_set(v, "lab_error", json_object_get(r.summary, "lab_error"));
	free(r.missing);
	if (json_is_object(json_object_get(r.summary, "ended_early")))
		json_object_set(v, "ended_early", json_object_get(r.summary, "ended_early"));
	{
		json_t *fin = json_object(), *p;
		const char *name;

		json_object_foreach (json_object_get(r.summary, "peers"), name, p)
			if (json_object_get(p, "final_sas"))
				json_object_set(fin, name, json_object_get(p, "final_sas"));
		json_object_set_new(v, "final_sas", fin);
	}
	json_object_set_new(v, "violated", json_integer(violated));
	json_object_set_new(v, "expectations", r.out);
	/* The events around each violation, for the report. */
	json_array_foreach (r.out, i, e) {
		double at = json_number_value(json_object_get(e, "at"));
		json_t *around, *ev;
		size_t k;

		if (json_is_true(json_object_get(e, "held")))
			continue;
		around = json_array();
		json_array_foreach (r.events, k, ev) {
			double t = json_number_value(json_object_get(ev, "t"));
			const char *src = jget_str(ev, "source");

			if (t < at - AROUND_S || t > at + AROUND_S || !src ||
			    !strcmp(src, "sample") ||
			    (!strcmp(src, "probe") &&
			     strcmp(jget_str(ev, "kind") ?: "", "loss-window")))
				continue;
			if (!strcmp(src, "stats")) {
				ev = vj_stats_around(ev, jget_str(e, "name"));
				if (ev && json_array_size(around) < 24)
					json_array_append(around, ev);
				json_decref(ev);
				continue;
			}
			if (json_array_size(around) < 24)
				json_array_append(around, ev);
		}
		json_object_set_new(e, "events_around", around);
		if (jget_str(e, "peer"))
			json_object_set_new(e, "log_around",
					    vj_log_around(&r, run_dir, jget_str(e, "peer"), at));
	}
	json_decref(r.summary);
	json_decref(r.events);
	json_decref(r.traffic);
	return v;
}

/*
 * Only expectations whose actual value can never fall as a run goes on
 * settle a verdict early: a sustained maximum (a stretch that lasted past
 * the grace stays in the record), a count of acquires, and the ledger's
 * mismatches. Growth is a
 * slope over the whole run, and loss counts packets still in flight: both
 * wait for the end. One violation decides, because any violated
 * expectation is the verdict (reproduced, or failed for a clean scenario).
 */
json_t *verdict_decided(const json_t *so_far, const struct scenario *s)
{
	struct run r = { .s = s, .summary = (json_t *)so_far };
	json_t *e, *found = NULL;
	size_t i;

	if (!s->expectations)
		return NULL;
	r.events = json_array();
	r.traffic = json_array();
	r.out = json_array();
	expect_sustained_maxima(&r, s->expectations);
	expect_acquires(&r);
	expect_ledger(&r, s->expectations);
	json_array_foreach (r.out, i, e)
		if (!json_is_true(json_object_get(e, "held"))) {
			found = json_incref(e);
			break;
		}
	json_decref(r.events);
	json_decref(r.traffic);
	json_decref(r.out);
	return found;
}

static const char *const names[] = {
	[VERDICT_PASS] = "pass",
	[VERDICT_FAIL] = "fail",
	[VERDICT_REPRODUCED] = "reproduced",
	[VERDICT_NOT_REPRODUCED] = "not-reproduced",
	[VERDICT_LAB_ERROR] = "lab-error",
};

const char *verdict_name(enum verdict_result r)
{
	return names[r];
}

enum verdict_result verdict_result_of(const json_t *v)
{
	const char *s = jget_str(v, "result");

	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (s && !strcmp(s, names[i]))
			return (enum verdict_result)i;
	return VERDICT_LAB_ERROR;
}

int verdict_exit(enum verdict_result r)
{
	switch (r) {
	case VERDICT_PASS:
	case VERDICT_REPRODUCED:
		return 0;
	case VERDICT_FAIL:
	case VERDICT_NOT_REPRODUCED:
		return 1;
	default:
		return 2;
	}
}

/* One event, short: "+0.123 alice vici child-rekey old_id=3 new_id=4". */
static void event_line(struct strbuf *sb, const json_t *ev, double at)
{
	static const char *const skip[] = { "t", "wall", "peer", "source", "kind", NULL };
	const char *key;
	json_t *v;

	sb_addf(sb, "      %+7.3f s  %-6s %-6s %-14s",
		json_number_value(json_object_get(ev, "t")) - at, jget_str(ev, "peer") ?: "-",
		jget_str(ev, "source") ?: "?", jget_str(ev, "kind") ?: "?");
	json_object_foreach ((json_t *)ev, key, v) {
		bool skipped = false;
		char *text;

		for (const char *const *s = skip; *s; s++)
			skipped |= !strcmp(key, *s);
		if (skipped)
			continue;
		text = json_is_string(v) ? xstrdup(json_string_value(v))
					 : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
								 JSON_REAL_PRECISION(4));
		sb_addf(sb, " %s=%s", key, text);
		free(text);
	}
	sb_addf(sb, "\n");
}

/* "ended early at 3.214 s of 10 s: max_child_per_ts violated: ..." */
static void early_line(struct strbuf *sb, const json_t *early)
{
	if (!json_is_object(early))
		return;
	sb_addf(sb, "  ended early at %.3f s of %g s: %s\n",
		json_number_value(json_object_get(early, "at")),
		json_number_value(json_object_get(early, "planned_s")),
		jget_str(early, "why") ?: "its verdict was settled");
}

/* "alice: IKE_SA #1 ESTABLISHED with CHILD_SA #3 INSTALLED (in c1.., out c2..)" */
static void final_lines(struct strbuf *sb, const json_t *fin)
{
	const char *peer;
	json_t *list;

	if (!json_object_size(fin))
		return;
	sb_addf(sb, "  SAs at the end:\n");
	json_object_foreach ((json_t *)fin, peer, list) {
		size_t i, k;
		json_t *ike, *c;

		sb_addf(sb, "    %-8s", peer);
		if (!json_array_size(list))
			sb_addf(sb, " none");
		json_array_foreach (list, i, ike) {
			sb_addf(sb, "%s IKE_SA #%s %s", i ? ";" : "", jget_str(ike, "id") ?: "?",
				jget_str(ike, "state") ?: "?");
			json_array_foreach (json_object_get(ike, "children"), k, c)
				sb_addf(sb, "%s CHILD_SA #%s %s (in %s, out %s)", k ? "," : " with",
					jget_str(c, "id") ?: "?", jget_str(c, "state") ?: "?",
					jget_str(c, "spi_in") ?: "-",
					jget_str(c, "spi_out") ?: "-");
		}
		sb_addf(sb, "\n");
	}
}

char *verdict_report(const json_t *v, const struct scenario *s, uint64_t seed)
{
	enum verdict_result res = verdict_result_of(v);
	struct strbuf sb = { 0 };
	size_t i;
	json_t *e;

	sb_addf(&sb, "scenario %s, seed %llu: %s (%s)\n", s->name, (unsigned long long)seed,
		verdict_name(res),
		s->reproduces ? "a reproduction: the bug showing is a pass"
			      : "every expectation must hold");
	if (res == VERDICT_LAB_ERROR)
		sb_addf(&sb, "  lab error: %s\n", jget_str(v, "lab_error") ?: "see summary.json");
	early_line(&sb, json_object_get(v, "ended_early"));
	final_lines(&sb, json_object_get(v, "final_sas"));
	json_array_foreach (json_object_get(v, "expectations"), i, e) {
		bool held = json_is_true(json_object_get(e, "held"));
		double at = json_number_value(json_object_get(e, "at"));
		size_t k;
		json_t *ev;

		sb_addf(&sb, "  %-26s %s %-6g %s: %s\n", jget_str(e, "name"),
			jget_str(e, "bound") ?: "<=",
			json_number_value(json_object_get(e, "limit")),
			held ? "held    " : "VIOLATED", jget_str(e, "detail"));
		if (held)
			continue;
		sb_addf(&sb, "    from t = %.3f s; events around it:\n", at);
		json_array_foreach (json_object_get(e, "events_around"), k, ev)
			event_line(&sb, ev, at);
		if (json_array_size(json_object_get(e, "log_around")))
			sb_addf(&sb, "    %s's charon.log around it:\n", jget_str(e, "peer"));
		json_array_foreach (json_object_get(e, "log_around"), k, ev)
			sb_addf(&sb, "      %+7.3f s  %s\n",
				json_number_value(json_object_get(ev, "t")) - at,
				jget_str(ev, "line") ?: "");
	}
	return sb.buf;
}
