/*
 * test_explore_gen.c - the schedule generator of `ikelab explore`: every
 * file it draws loads with scenario_load() from a folder of its own (no
 * --trust), one seed gives one text, the menu and the fault kinds all
 * come up, lifetimes stay in their ranges, the invariant switches remove
 * their expectations, and a trial is drawn in well under a few ms. Run
 * from the repository root.
 */
#define SCRATCH_TAG "explore_gen"
#include "scratch.h"

#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/util.h"
#include "config/profile.h"
#include "config/scenario.h"
#include "config/trust.h"
#include "explore/gen.h"

#define SEEDS 500
/* test_golden's hashes, of generator version 2. */
#define GOLDEN_0 UINT64_C(0xad1789ce16d6d0ba)
#define GOLDEN_1 UINT64_C(0x3e890e99cd271003)
#define GOLDEN_2 UINT64_C(0xa3106551a0d46c6e)

static void opts_2446(struct gen_opts *o)
{
	gen_opts_default(o);
	o->profiles[o->n_profiles++] = "peers/reauth-mbb.yaml";
	o->profiles[o->n_profiles++] = "peers/auto-route.yaml";
	o->profiles[o->n_profiles++] = "peers/rekey-only.yaml";
	o->profiles[o->n_profiles++] = "peers/uniqueids-never.yaml";
}

static struct gen *gen_ok(const struct gen_opts *o)
{
	struct gen *g = gen_new(o);

	ck_assert_msg(g, "%s", err_msg());
	return g;
}

/* The trial's text written to NAME in the scratch folder, and loaded. */
static struct scenario *load_text(const char *text, const char *name)
{
	const char *path = at(name);
	struct scenario *s;

	CHECK(write_file(path, text, strlen(text), 0644) == 0);
	s = scenario_load(path);
	ck_assert_msg(s, "%s\n%s", err_msg(), text);
	return s;
}

static bool in_range(const char *dur, struct gen_range r)
{
	uint32_t secs;

	ck_assert_ptr_nonnull(dur);
	ck_assert_int_eq(duration_parse(dur, &secs), 0);
	return secs >= r.lo && secs <= r.hi;
}

/* The IKE_SA's lifetime (rekey or reauth) and the CHILD_SA's of peer K. */
static void check_lifetimes(const struct scenario *s, const struct gen_opts *o, unsigned k)
{
	const struct profile *p = s->profiles[k];
	struct profile_ike c;
	struct profile_child ch;
	uint32_t reauth = 0, rekey, life;

	profile_conn(p, 0, &c);
	profile_child(p, &c, 0, &ch);
	if (c.reauth_time)
		ck_assert_int_eq(duration_parse(c.reauth_time, &reauth), 0);
	ck_assert (in_range(reauth ? c.reauth_time : c.rekey_time, o->ike_life))
		;
	ck_assert (in_range(ch.rekey_time, o->child_life))
		;
	ck_assert_int_eq(duration_parse(ch.rekey_time, &rekey), 0);
	ck_assert_int_eq(duration_parse(ch.life_time, &life), 0);
	ck_assert_uint_gt(life, rekey);
}

/* What the loaded schedule holds, per menu kind, where the entry alone
 * tells (restart and initiate also mend kills and terminates). */
static void count_loaded(const struct scenario *s, unsigned *n, unsigned *restarts,
			 unsigned *faults)
{
	for (unsigned i = 0; i < s->schedule_count; i++) {
		const struct sc_entry *e = &s->schedule[i];
		const char *a = e->action;

		if (!strcmp(a, "rekey"))
			n[e->reauth ? GEN_REAUTH : e->child ? GEN_REKEY_CHILD : GEN_REKEY_IKE]++;
		else if (!strcmp(a, "expire"))
			n[GEN_EXPIRE]++;
		else if (!strcmp(a, "delete-sa"))
			n[GEN_DELETE_SA]++;
		else if (!strcmp(a, "uninstall"))
			n[GEN_UNINSTALL]++;
		else if (!strcmp(a, "traffic"))
			n[GEN_TRAFFIC_BURST]++;
		else if (!strcmp(a, "netem") && !e->clear)
			n[GEN_NETEM]++;
		else if (!strcmp(a, "link") && !strcmp(e->state, "down"))
			n[GEN_LINK_FLAP]++;
		else if (!strcmp(a, "kill") && !strcmp(e->signal, "STOP"))
			n[GEN_FREEZE]++;
		else if (!strcmp(a, "kill") && strcmp(e->signal, "CONT"))
			n[GEN_KILL]++;
		else if (!strcmp(a, "reload"))
			n[GEN_RELOAD]++;
		else if (!strcmp(a, "inject"))
			n[GEN_INJECT]++;
		else if (!strcmp(a, "conntrack-flush"))
			n[GEN_CONNTRACK_FLUSH]++;
		else if (!strcmp(a, "restart"))
			(*restarts)++;
	}
	for (unsigned i = 0; i < s->faults_count; i++)
		for (unsigned f = 0; f < GEN_FAULTS; f++)
			faults[f] += !strcmp(s->faults[i].action, gen_fault_name(f));
}

static void check_reloads(const struct scenario *s, const struct gen_opts *o)
{
	for (unsigned i = 0; i < s->schedule_count; i++) {
		const struct profile *set = s->schedule[i].set;

		if (!set)
			continue;
		if (set->child)
			ck_assert (in_range(set->child->rekey_time, o->child_life))
				;
		if (set->ike)
			ck_assert (in_range(set->ike->rekey_time ? set->ike->rekey_time
								 : set->ike->reauth_time,
					    o->ike_life))
				;
	}
}

/* Whether the loaded trial draws something that costs traffic on
 * purpose (gen_expect.c): an action or a fault rule of that kind. */
static bool disturbed(const struct scenario *s)
{
	static const char *const actions[] = { "link",      "netem",     "kill",
					       "restart",   "uninstall", "expire",
					       "delete-sa", "terminate", "conntrack-flush" };
	static const char *const faults[] = { "delay", "drop", "hold" };

	for (unsigned i = 0; i < s->schedule_count; i++)
		for (unsigned k = 0; k < ARRAY_LEN(actions); k++)
			if (!strcmp(s->schedule[i].action, actions[k]))
				return true;
	for (unsigned i = 0; i < s->faults_count; i++)
		for (unsigned k = 0; k < ARRAY_LEN(faults); k++)
			if (!strcmp(s->faults[i].action, faults[k]))
				return true;
	return false;
}

/* A kernel SA taken away on purpose: a delete-sa or a hard expire. */
static bool sa_taken(const struct scenario *s)
{
	for (unsigned i = 0; i < s->schedule_count; i++) {
		const struct sc_entry *e = &s->schedule[i];

		if (!strcmp(e->action, "delete-sa") ||
		    (!strcmp(e->action, "expire") && e->hard && *e->hard))
			return true;
	}
	return false;
}

/* The invariants added in generator version 2, against what the trial
 * holds; whether it checks rekey loss. */
static bool check_v2_invariants(const struct scenario *s, const struct gen_stats *st)
{
	const struct sc_expect *x = s->expectations;

	ck_assert (st->undisturbed == !disturbed(s))
		;
	ck_assert (st->acquire_rekey_off == sa_taken(s))
		;
	ck_assert ((x->max_acquires_during_rekey != NULL) == !st->acquire_rekey_off)
		;
	if (x->max_acquires_during_rekey)
		ck_assert_uint_eq(*x->max_acquires_during_rekey, 0);
	/* Rekey loss only where nothing disrupts traffic. */
	ck_assert ((x->max_lost_per_event != NULL) == st->rekey_loss_on)
		;
	ck_assert (!st->rekey_loss_on || st->undisturbed)
		;
	if (x->max_lost_per_event)
		ck_assert_uint_eq(*x->max_lost_per_event, 0);
	ck_assert (x->ledger_agrees && * x->ledger_agrees)
		;
	return st->rekey_loss_on;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Trials of seeds 0..N-1 over O: each loads and matches what it drew;
 * every kind with a weight comes up, and every fault kind. Returns how
 * many trials check rekey loss. */
static unsigned explore(const struct gen_opts *o, unsigned n, bool faults_expected)
{
	struct gen *g = gen_ok(o);
	unsigned drawn[GEN_KINDS] = { 0 }, fdrawn[GEN_FAULTS] = { 0 };
	char **texts = xcalloc(n, sizeof(*texts));
	int64_t slowest = 0;
	unsigned started_late = 0, rekey_loss = 0;

	trust_consent(0);
	for (unsigned seed = 0; seed < n; seed++) {
		unsigned loaded[GEN_KINDS] = { 0 }, lf[GEN_FAULTS] = { 0 }, restarts = 0;
		struct gen_stats st;
		int64_t t0 = mono_ns(), dt;
		char *text = gen_draw(g, seed, &st), *again, name[32];
		struct scenario *s;

		dt = mono_ns() - t0;
		slowest = dt > slowest ? dt : slowest;
		again = gen_draw(g, seed, NULL);
		ck_assert_str_eq(text, again);
		free(again);
		snprintf(name, sizeof(name), "trial-%u.yaml", seed);
		s = load_text(text, name);
		ck_assert_uint_eq(s->duration_ms, st.duration_ms);
		ck_assert_uint_eq(s->schedule_count, st.entries);
		ck_assert_str_eq(s->expect, "clean");
		ck_assert (!s->reproduces)
			;
		ck_assert_uint_ge(s->duration_ms, o->duration.lo * 1000);
		ck_assert_uint_le(s->duration_ms, o->duration.hi * 1000);
		ck_assert_uint_ge(s->traffic->pps, o->pps.lo);
		ck_assert_uint_le(s->traffic->pps, o->pps.hi);
		started_late += s->traffic->start != NULL;
		for (unsigned k = 0; k < 2; k++)
			check_lifetimes(s, o, k);
		check_reloads(s, o);
		count_loaded(s, loaded, &restarts, lf);
		for (unsigned k = 0; k < GEN_KINDS; k++) {
			drawn[k] += st.kinds[k];
			if (k != GEN_INITIATE && k != GEN_TERMINATE && k != GEN_RESTART)
				ck_assert_msg(loaded[k] == st.kinds[k],
					      "seed %u: %s drawn %u, loaded %u", seed,
					      gen_kind_name(k), st.kinds[k], loaded[k]);
		}
		ck_assert_uint_eq(restarts, st.kinds[GEN_KILL] + st.kinds[GEN_RESTART]);
		for (unsigned f = 0; f < GEN_FAULTS; f++) {
			fdrawn[f] += st.faults[f];
			ck_assert_uint_eq(lf[f], st.faults[f]);
		}
		ck_assert (st.kernel_sas_off == (st.kinds[GEN_DELETE_SA] > 0))
			;
		ck_assert ((s->expectations->kernel_sa_pairs != NULL) == !st.kernel_sas_off)
			;
		ck_assert_uint_eq(*s->expectations->max_outage_ms, st.max_outage_ms);
		ck_assert_uint_eq(*s->expectations->max_lost_each_way, st.max_lost_each_way);
		ck_assert_uint_ge(st.max_outage_ms, o->liveness_ms);
		ck_assert_ptr_nonnull(strstr(text, "generator version 2, seed "));
		rekey_loss += check_v2_invariants(s, &st);
		scenario_free(s);
		texts[seed] = text;
	}
	for (unsigned k = 0; k < GEN_KINDS; k++)
		ck_assert_msg(
			drawn[k] || !o->weights[k] ||
				(k == GEN_CONNTRACK_FLUSH && !strstr(o->topology ?: "", "nat")),
			"%s never drawn in %u trials", gen_kind_name(k), n);
	for (unsigned f = 0; f < GEN_FAULTS; f++)
		ck_assert_msg(fdrawn[f] || !faults_expected, "fault %s never drawn in %u trials",
			      gen_fault_name(f), n);
	ck_assert_uint_gt(started_late, n / 4);
	ck_assert_uint_lt(started_late, 3 * n / 4);
	/* Different seeds, different files. */
	qsort(texts, n, sizeof(*texts), cmp_str);
	for (unsigned i = 1; i < n; i++)
		ck_assert_str_ne(texts[i - 1], texts[i]);
	for (unsigned i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	/* Generous: a trial is drawn in microseconds; sanitizers and a busy
	 * machine are given two orders of magnitude. */
	ck_assert_msg(slowest < 20 * 1000 * 1000, "slowest trial took %" PRId64 " ns", slowest);
	gen_free(g);
	return rekey_loss;
}

START_TEST(test_trials_load)
{
	struct gen_opts o;
	unsigned n;

	opts_2446(&o);
	/* Some trials are undisturbed, most are not. */
	n = explore(&o, SEEDS, true);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_lt(n, SEEDS / 2);
}
END_TEST

/* A masquerading router: conntrack-flush is on the menu. */
START_TEST(test_trials_nat)
{
	struct gen_opts o;

	opts_2446(&o);
	o.topology = "topologies/nat.yaml";
	explore(&o, 200, true);
}
END_TEST

/* Two CHILD_SAs, one of them started rather than trapped (dpd-restart):
 * child names from either profile, an initiate after a terminate. */
START_TEST(test_trials_two_children)
{
	struct gen_opts o;

	gen_opts_default(&o);
	o.profiles[o.n_profiles++] = "peers/two-children.yaml";
	o.profiles[o.n_profiles++] = "peers/dpd-restart.yaml";
	o.topology = "topologies/two-subnets-router.yaml";
	explore(&o, 200, true);
}
END_TEST

/* No router: no fault rules, netem and links on the peers. */
START_TEST(test_trials_no_router)
{
	struct gen_opts o;

	opts_2446(&o);
	o.topology = "topologies/two-peer.yaml";
	explore(&o, 100, false);
}
END_TEST

/* The same options in a new generator draw the same bytes; the default
 * topology is the shipped router one. */
START_TEST(test_same_seed_same_text)
{
	struct gen_opts o;
	struct gen *a, *b;
	char *ta, *tb, *tc;

	opts_2446(&o);
	a = gen_ok(&o);
	b = gen_ok(&o);
	ta = gen_draw(a, UINT64_MAX, NULL);
	tb = gen_draw(b, UINT64_MAX, NULL);
	tc = gen_draw(b, UINT64_MAX - 1, NULL);
	ck_assert_str_eq(ta, tb);
	ck_assert_str_ne(ta, tc);
	ck_assert_ptr_nonnull(strstr(ta, "topologies/two-peer-router.yaml\"\n"));
	ck_assert_ptr_nonnull(strstr(ta, "\nseed: 9223372036854775807\n"));
	ck_assert_ptr_nonnull(strstr(ta, "\nname: explore-ffffffffffffffff\n"));
	scenario_free(load_text(ta, "max.yaml"));
	free(ta);
	free(tb);
	free(tc);
	gen_free(a);
	gen_free(b);
}
END_TEST

/* FNV-1a of TEXT with the tree's own path left out, so that the hash is
 * the same in every checkout. */
static uint64_t hash_text(const char *text)
{
	char *tree = realpath(".", NULL);
	size_t n = strlen(tree);
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (const char *c = text; *c; c++) {
		if (!strncmp(c, tree, n)) {
			c += n - 1;
			continue;
		}
		h = (h ^ (unsigned char)*c) * UINT64_C(0x100000001b3);
	}
	free(tree);
	return h;
}

/* Seeds written down in a report have to draw the same file for as long
 * as GEN_VERSION stays: a change to what a seed draws shows here. Bump
 * GEN_VERSION and write the new hashes down. */
START_TEST(test_golden)
{
	static const uint64_t want[] = { GOLDEN_0, GOLDEN_1, GOLDEN_2 };
	static const uint64_t seeds[] = { 0, 42, UINT64_C(0xdeadbeefcafef00d) };
	struct gen_opts o;
	struct gen *g;

	ck_assert_int_eq(GEN_VERSION, 2);
	opts_2446(&o);
	g = gen_ok(&o);
	for (unsigned i = 0; i < ARRAY_LEN(seeds); i++) {
		char *text = gen_draw(g, seeds[i], NULL);
		uint64_t h = hash_text(text);

		ck_assert_msg(h == want[i], "seed %" PRIu64 " now hashes to 0x%016" PRIx64 ":\n%s",
			      seeds[i], h, text);
		free(text);
	}
	gen_free(g);
}
END_TEST

/* Each invariant switched off takes its expectations with it. */
START_TEST(test_invariant_switches)
{
	static const unsigned bits[] = {
		GEN_INV_DUP_IKE,       GEN_INV_DUP_CHILD,  GEN_INV_KERNEL_SAS, GEN_INV_POLICIES,
		GEN_INV_NO_CRASH,      GEN_INV_LIVENESS,   GEN_INV_REQIDS,     GEN_INV_GROWTH,
		GEN_INV_ACQUIRE_REKEY, GEN_INV_REKEY_LOSS, GEN_INV_LEDGER,
	};
	struct gen_opts o;

	opts_2446(&o);
	o.weights[GEN_DELETE_SA] = 0; /* kernel_sa_pairs stays */
	o.weights[GEN_EXPIRE] = 0;    /* max_acquires_during_rekey too */
	for (unsigned b = 0; b <= ARRAY_LEN(bits); b++) {
		unsigned inv =
			b < ARRAY_LEN(bits) ? (GEN_INV_DEFAULT | GEN_INV_GROWTH) & ~bits[b] : 0;
		struct gen *g;

		o.invariants = inv;
		g = gen_ok(&o);
		for (uint64_t seed = 0; seed < 20; seed++) {
			struct gen_stats st;
			char *text = gen_draw(g, seed, &st), name[32];
			struct scenario *s;
			const struct sc_expect *x;

			snprintf(name, sizeof(name), "inv-%u-%" PRIu64 ".yaml", b, seed);
			s = load_text(text, name);
			x = s->expectations;
			ck_assert ((x->max_ike_per_peer != NULL) == !!(inv & GEN_INV_DUP_IKE))
				;
			ck_assert ((x->max_child_per_ts != NULL) == !!(inv & GEN_INV_DUP_CHILD))
				;
			ck_assert ((x->kernel_sa_pairs != NULL) == !!(inv & GEN_INV_KERNEL_SAS))
				;
			ck_assert ((x->policies_match != NULL) == !!(inv & GEN_INV_POLICIES))
				;
			ck_assert ((x->unique_reqids != NULL) == !!(inv & GEN_INV_REQIDS))
				;
			ck_assert ((x->max_outage_ms != NULL) == !!(inv & GEN_INV_LIVENESS))
				;
			ck_assert ((x->max_lost_each_way != NULL) == !!(inv & GEN_INV_LIVENESS))
				;
			ck_assert ((x->max_ike_growth_per_hour != NULL) == !!(inv & GEN_INV_GROWTH))
				;
			ck_assert ((x->max_child_growth_per_hour != NULL) ==
				   !!(inv & GEN_INV_GROWTH))
				;
			ck_assert ((x->max_acquires_during_rekey != NULL) ==
				   !!(inv & GEN_INV_ACQUIRE_REKEY))
				;
			ck_assert ((x->max_lost_per_event != NULL) ==
				   (!!(inv & GEN_INV_REKEY_LOSS) && st.rekey_loss_on))
				;
			ck_assert ((x->ledger_agrees != NULL) == !!(inv & GEN_INV_LEDGER))
				;
			ck_assert_ptr_nonnull(x->no_crash);
			ck_assert (*x->no_crash == !!(inv & GEN_INV_NO_CRASH))
				;
			ck_assert_ptr_null(x->max_lost_packets);
			scenario_free(s);
			free(text);
		}
		gen_free(g);
	}
}
END_TEST

/* Trials that draw nothing disrupting, on profiles that do not
 * reauthenticate: rekey loss in every one, while its bit is on. */
START_TEST(test_rekey_loss_switch)
{
	struct gen_opts o;

	gen_opts_default(&o);
	o.profiles[o.n_profiles++] = "peers/auto-route.yaml";
	o.profiles[o.n_profiles++] = "peers/rekey-only.yaml";
	memset(o.weights, 0, sizeof(o.weights));
	o.weights[GEN_REKEY_CHILD] = o.weights[GEN_REKEY_IKE] = o.weights[GEN_INITIATE] = 1;
	o.max_faults = 0;
	for (unsigned on = 0; on < 2; on++) {
		struct gen *g;

		o.invariants = on ? GEN_INV_DEFAULT : GEN_INV_DEFAULT & ~GEN_INV_REKEY_LOSS;
		g = gen_ok(&o);
		for (uint64_t seed = 0; seed < 20; seed++) {
			struct gen_stats st;
			char *text = gen_draw(g, seed, &st), name[32];
			struct scenario *s;

			snprintf(name, sizeof(name), "loss-%u-%" PRIu64 ".yaml", on, seed);
			s = load_text(text, name);
			ck_assert (st.undisturbed &&st.rekey_loss_on == !!on)
				;
			ck_assert ((s->expectations->max_lost_per_event != NULL) == !!on)
				;
			scenario_free(s);
			free(text);
		}
		gen_free(g);
	}
	/* A reauthentication that may break before it makes: none. */
	o.weights[GEN_REAUTH] = 100;
	o.invariants = GEN_INV_DEFAULT;
	{
		struct gen *g = gen_ok(&o);
		struct gen_stats st;
		unsigned reauths = 0;

		for (uint64_t seed = 0; seed < 20; seed++) {
			free(gen_draw(g, seed, &st));
			reauths += st.kinds[GEN_REAUTH] > 0;
			ck_assert (st.rekey_loss_on == !st.kinds[GEN_REAUTH])
				;
		}
		ck_assert_uint_gt(reauths, 0);
		gen_free(g);
	}
}
END_TEST

/* Every invariant bit has a name that parses back to it, and the
 * verdict's expectation names map to them. */
START_TEST(test_invariant_names)
{
	static const struct {
		const char *key, *inv;
	} keys[] = {
		{ "max_ike_per_peer", "dup-ike" },
		{ "max_child_per_ts", "dup-child" },
		{ "kernel_sa_pairs", "kernel-sas" },
		{ "policies_match", "policies" },
		{ "no_crash", "crash" },
		{ "max_outage_ms", "liveness" },
		{ "max_lost_each_way", "liveness" },
		{ "unique_reqids", "reqids" },
		{ "max_ike_growth_per_hour", "growth" },
		{ "max_child_growth_per_hour", "growth" },
		{ "max_acquires_during_rekey", "acquire-rekey" },
		{ "max_lost_per_event", "rekey-loss" },
		{ "ledger_agrees", "ledger" },
	};
	unsigned all = 0, bit;

	for (unsigned b = 1; b && b <= GEN_INV_ALL; b <<= 1) {
		const char *name = gen_invariant_name(b);

		ck_assert_msg(name, "bit 0x%x has no name", b);
		ck_assert_int_eq(gen_invariant_parse(name, &bit), 0);
		ck_assert_uint_eq(bit, b);
		all |= b;
	}
	ck_assert_uint_eq(all, GEN_INV_ALL);
	ck_assert_uint_eq(GEN_INV_DEFAULT & ~GEN_INV_ALL, 0);
	ck_assert_ptr_null(gen_invariant_name(GEN_INV_ALL + 1));
	ck_assert_ptr_null(gen_invariant_name(GEN_INV_DUP_IKE | GEN_INV_DUP_CHILD));
	ck_assert_int_eq(gen_invariant_parse("dup", &bit), -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "acquire-rekey"));
	for (unsigned i = 0; i < ARRAY_LEN(keys); i++) {
		const char *inv = gen_invariant_of_key(keys[i].key);

		ck_assert_msg(inv && !strcmp(inv, keys[i].inv), "%s", keys[i].key);
	}
	ck_assert_ptr_null(gen_invariant_of_key("max_lost_packets"));
	ck_assert_ptr_null(gen_invariant_of_key("stats: ikesas.half-open"));
	ck_assert_ptr_null(gen_invariant_of_key(NULL));
}
END_TEST

/* A weight of 0 keeps a kind out; one weight alone is all there is. */
START_TEST(test_weights)
{
	struct gen_opts o;
	struct gen *g;

	opts_2446(&o);
	memset(o.weights, 0, sizeof(o.weights));
	o.weights[GEN_LINK_FLAP] = 1;
	o.max_faults = 0;
	g = gen_ok(&o);
	for (uint64_t seed = 0; seed < 50; seed++) {
		struct gen_stats st;
		char *text = gen_draw(g, seed, &st);

		ck_assert_uint_ge(st.kinds[GEN_LINK_FLAP], 1);
		ck_assert_uint_le(st.kinds[GEN_LINK_FLAP], o.max_actions);
		ck_assert_uint_eq(st.entries, 2 * st.kinds[GEN_LINK_FLAP]);
		ck_assert_ptr_null(strstr(text, "\nfaults:"));
		free(text);
	}
	gen_free(g);
}
END_TEST

START_TEST(test_refused)
{
	struct gen_opts o;

	gen_opts_default(&o);
	ck_assert_ptr_null(gen_new(&o));
	ck_assert_ptr_nonnull(strstr(err_msg(), "profiles"));
	opts_2446(&o);
	o.ike_life = (struct gen_range){ 30, 10 };
	ck_assert_ptr_null(gen_new(&o));
	ck_assert_ptr_nonnull(strstr(err_msg(), "ike lifetime"));
	opts_2446(&o);
	o.duration = (struct gen_range){ 5, 10 };
	ck_assert_ptr_null(gen_new(&o));
	ck_assert_ptr_nonnull(strstr(err_msg(), "no room"));
	opts_2446(&o);
	memset(o.weights, 0, sizeof(o.weights));
	ck_assert_ptr_null(gen_new(&o));
	opts_2446(&o);
	memset(o.weights, 0, sizeof(o.weights));
	o.weights[GEN_CONNTRACK_FLUSH] = 1;
	ck_assert_ptr_null(gen_new(&o));
	ck_assert_ptr_nonnull(strstr(err_msg(), "masquerading"));
	o.topology = "topologies/nat.yaml";
	gen_free(gen_ok(&o));
	opts_2446(&o);
	o.profiles[0] = "peers/nosuch.yaml";
	ck_assert_ptr_null(gen_new(&o));
	ck_assert_ptr_nonnull(strstr(err_msg(), "nosuch"));
	opts_2446(&o);
	o.profiles[0] = "peers/two-children.yaml";
	ck_assert_ptr_null(gen_new(&o));
	ck_assert_ptr_nonnull(strstr(err_msg(), "two-children.yaml on "));
	ck_assert_ptr_nonnull(strstr(err_msg(), "1 protected subnet"));
	opts_2446(&o);
	o.topology = "topologies/nosuch.yaml";
	ck_assert_ptr_null(gen_new(&o));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("explore_gen");
	TCase *tc = tcase_create("explore_gen");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, scratch, cleanup);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_trials_load);
	tcase_add_test(tc, test_trials_nat);
	tcase_add_test(tc, test_trials_two_children);
	tcase_add_test(tc, test_trials_no_router);
	tcase_add_test(tc, test_same_seed_same_text);
	tcase_add_test(tc, test_golden);
	tcase_add_test(tc, test_invariant_switches);
	tcase_add_test(tc, test_rekey_loss_switch);
	tcase_add_test(tc, test_invariant_names);
	tcase_add_test(tc, test_weights);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
