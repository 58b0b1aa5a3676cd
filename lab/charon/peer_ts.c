#include "charon/peer.h"
#include "charon/peer-internal.h"
#include "base/err.h"
#include "base/spawn.h"
#include "config/ts.h"
#include "kernel/xfrm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One side's selectors as charon gets them, into OUT: none written means
 * every protected subnet of that side; "protected" and "protected:N" are
 * that side's subnets (ts.h). -1 when N is beyond them. */
static int ts_resolve(const struct peer *p, char *const *ts, unsigned n, bool local,
		      struct argv *out)
{
	char *const *nets = local ? p->local_subnets : p->remote_subnets;
	unsigned n_nets = local ? p->n_local_subnets : p->n_remote_subnets;

	if (!ts) {
		for (unsigned k = 0; k < n_nets; k++)
			argv_add(out, nets[k]);
		return 0;
	}
	for (unsigned i = 0; i < n; i++) {
		const char *suffix;
		int idx;

		if (!ts_symbolic(ts[i], &idx, &suffix)) {
			argv_add(out, ts[i]);
			continue;
		}
		if (idx >= (int)n_nets)
			return err_set("peer %s: %s_ts %s, but %s has %u protected subnet%s",
				       p->name, local ? "local" : "remote", ts[i],
				       local ? p->name : p->remote_name, n_nets,
				       n_nets == 1 ? "" : "s");
		for (unsigned k = 0; k < n_nets; k++)
			if (idx < 0 || (unsigned)idx == k)
				argv_addf(out, "%s%s", nets[k], suffix);
	}
	return 0;
}

int peer_child_ts(const struct peer *p, const struct profile_child *c, struct argv *l,
		  struct argv *r)
{
	if (ts_resolve(p, c->local_ts, c->local_ts_count, true, l) < 0 ||
	    ts_resolve(p, c->remote_ts, c->remote_ts_count, false, r) < 0)
		return err_wrap("CHILD_SA %s", c->name);
	return 0;
}

struct trap {
	char src[TS_LEN], dst[TS_LEN];
};

/* The kernel's form of selector TS: "dynamic" is the IKE address. */
static bool ts_kernel(const char *ts, const char *ike_addr, char *buf, size_t len)
{
	if (!strcmp(ts, "dynamic")) {
		snprintf(buf, len, "%s/%d", ike_addr, strchr(ike_addr, ':') ? 128 : 32);
		return true;
	}
	return ts_subnet(ts, buf, len);
}

/* The first local and remote selectors of one family that the kernel
 * shows as written: charon installs no policy across families. */
static bool first_pair(const struct peer *p, const struct argv *l, const struct argv *r,
		       struct trap *t)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!ts_kernel(l->v[i], p->local_addr, t->src, TS_LEN))
			continue;
		for (size_t j = 0; j < r->n; j++)
			if (ts_kernel(r->v[j], p->remote_addr, t->dst, TS_LEN) &&
			    !strchr(t->src, ':') == !strchr(t->dst, ':'))
				return true;
	}
	return false;
}

#define MAX_TRAPS (PROFILE_MAX_CONNS * PROFILE_MAX_CHILDREN)

struct trap_ctx {
	const struct peer *p;
	struct trap *t;
	unsigned n;
};

static int add_trap(void *ctx, unsigned i, unsigned j, const struct profile_ike *ike,
		    const struct profile_child *c)
{
	struct trap_ctx *x = ctx;
	struct argv l = { 0 }, r = { 0 };

	(void)i;
	(void)j;
	(void)ike;
	if ((c->start_action && strcmp(c->start_action, "trap")) ||
	    peer_child_ts(x->p, c, &l, &r) < 0)
		err_clear();
	else if (x->n < MAX_TRAPS && first_pair(x->p, &l, &r, &x->t[x->n]))
		x->n++;
	argv_free(&l);
	argv_free(&r);
	return 0;
}

/* The outbound trap policies the profile installs, one per CHILD_SA with
 * start_action trap whose first selectors the kernel shows as written;
 * *OUT allocated (MAX_TRAPS entries). */
static unsigned trap_list(const struct peer *p, struct trap **out)
{
	struct trap_ctx x = { p, xcalloc(MAX_TRAPS, sizeof(struct trap)), 0 };

	profile_each_child(p->profile, add_trap, &x);
	*out = x.t;
	return x.n;
}

char *peer_traps_text(const struct peer *p)
{
	struct trap *t;
	unsigned n = trap_list(p, &t);
	struct strbuf sb = { 0 };

	for (unsigned k = 0; k < n; k++)
		sb_addf(&sb, "%s === %s\n", t[k].src, t[k].dst);
	free(t);
	if (!sb.buf)
		sb_addf(&sb, "%s", "");
	return sb.buf;
}

static bool trap_installed(const struct xfrm_dump *d, const struct trap *t)
{
	for (size_t i = 0; i < d->n_policies; i++) {
		const struct xfrm_policy_info *pol = &d->policies[i];

		if (!strcmp(pol->dir, "out") && !strcmp(pol->src, t->src) &&
		    !strcmp(pol->dst, t->dst))
			return true;
	}
	return false;
}

/* The first of T that the kernel lacks, or NULL. */
static const struct trap *trap_missing(const struct xfrm_dump *d, const struct trap *t, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		if (!trap_installed(d, &t[k]))
			return &t[k];
	return NULL;
}

/* 0 when all of T are installed, 1 to look again, -1 on failure. */
static int traps_check(const struct peer *p, int nsfd, const struct trap *t, unsigned n,
		       int64_t deadline, int timeout_ms)
{
	const struct trap *miss;
	struct xfrm_dump d;
	int r = 1;

	if (xfrm_dump(nsfd, &d) < 0)
		return err_wrap("peer %s", p->name);
	miss = trap_missing(&d, t, n);
	if (!miss)
		r = 0;
	else if (!proc_alive(&p->charon))
		r = peer_charon_died(p);
	else if (mono_ns() >= deadline)
		r = err_set("peer %s: no trap policy %s === %s in the kernel %d ms after "
			    "load-conn (is start_action trap?)",
			    p->name, miss->src, miss->dst, timeout_ms);
	xfrm_dump_free(&d);
	return r;
}

int peer_wait_traps(const struct peer *p, int nsfd, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	struct trap *t;
	unsigned n = trap_list(p, &t);
	int r;

	while ((r = traps_check(p, nsfd, t, n, deadline, timeout_ms)) > 0)
		sleep_ms(10);
	free(t);
	return r;
}
