#include "record/recorder.h"
#include "record/analysis.h"
#include "backend/lab.h"
#include "base/err.h"
#include "kernel/net.h"
#include "kernel/netns.h"
#include "charon/peer.h"
#include "charon/sas.h"
#include "backend/state.h"
#include "backend/uml/uml.h"
#include "base/util.h"
#include "charon/vici.h"
#include "kernel/xfrm.h"
#include "kernel/xfrmmon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netlink/netlink.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PEERS 8
#define VICI_MS 2000
#define PROBE_INTERVAL_NS 100000000LL
#define PROBE_DRAIN_MS 4000     /* probes keep receiving for their grace, then report */

static const char *const vici_events[] = {
	"ike-updown", "child-updown", "ike-rekey", "child-rekey", "ike-update", NULL,
};

/* One 100 ms interval of one direction of probe traffic. */
struct interval {
	long long start_ns;
	long tx, txerr, rx, dup, reorder, late;
	bool have_tx, have_rx, done;
};

struct direction {
	char name[40];          /* "alice>bob" */
	struct interval *iv;
	int n;
	int next;               /* first interval not written yet */
	long tx, txerr, rx, lost, dup, reorder;
	json_t *windows;
	long last_seq_sent, highest_seq_rx;
	long long last_send_ns;
};

struct rec_peer {
	char *name, *dir, *netns, *protected_addr;
	int nsfd;
	struct proc_id charon;
	struct vici_conn *ev, *cmd;
	struct xfrmmon *mon;
	struct nl_sock *xfrm;
	bool dead;
	/* what the last sample said */
	struct sa_sample last;
	json_t *last_list;      /* the last list-sas answer, carried SAs included */
	bool expect_exit;       /* the schedule kills this charon */
	bool paused;            /* stopped on purpose: do not sample */
	bool asked;             /* list-sas sent for the sample being taken */
	char *ask_err;          /* why it could not be sent */
	int burst_fd;           /* UDP socket in the peer's namespace */
	int *pair_series, *ts_series;   /* for sustained maxima */
	json_t *seen;           /* IKE_SAs by id: {"t": last listed, "sa": {...}} */
	int busy;               /* IKE_SAs carried over in the last sample */
	int kernel_sas, kernel_policies;
	int acquires, acquires_in_rekey, expires_soft, expires_hard;
	int ike_rekeys, child_rekeys;
	double last_rekey_t;    /* any rekey or reauth-like event */
	struct dup_tracker dup_ike, dup_child;
	struct ledger ledger;
	/* maxima and series for growth */
	int max_ike, max_ike_est, max_child_inst, max_child_per_ts;
	double *ts, *ike_series, *child_series;
	int n_series;
	json_t *ike_ids, *child_ids;
	/* probe */
	pid_t probe;
	int probe_fd;
	int probe_go;           /* its stdin: one byte starts its sender */
	bool probe_ready;
	struct strbuf probe_buf;
	bool probe_eof;
};

struct recorder {
	struct rec_opts o;
	char *dir;
	struct rec_peer p[MAX_PEERS];
	int n;
	FILE *events, *timeline, *traffic;
	int64_t t0;
	double cpu0;            /* this process's CPU time when recording began */
	int timer;
	bool failed;
	char *failure;
	bool stopping_probes;   /* a probe ending now is expected */
	int samples;
	long missed_ticks;      /* timer ticks that passed while we were busy */
	double last_sample_t, max_gap;
	double slowest_sample;  /* longest sample_all(): waiting on charon and the kernel */
	double last_status;
	struct direction dirs[MAX_PEERS];
	int n_dirs;
	json_t *duplicates, *mismatches;
	char *charon_version;
	json_t *charon_plugins;
	int crashes;
	long rss_first, rss_max, rss_last;      /* this process, kB */
	double rss_at;
	struct {
		int fd;
		void (*cb)(void *ctx);
		void *ctx;
	} watch[8];
	int n_watch;
};

double rec_now(const struct recorder *r)
{
	return (double)(mono_ns() - r->t0) / 1e9;
}

int64_t rec_t0(const struct recorder *r)
{
	return r->t0;
}

bool rec_failed(const struct recorder *r)
{
	return r->failed;
}

const char *rec_dir(const struct recorder *r)
{
	return r->dir;
}

static void wall_iso(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%06ldZ", ts.tv_nsec / 1000);
}

void rec_emit(struct recorder *r, const char *peer, const char *source, const char *kind,
	      json_t *fields)
{
	json_t *o = json_object();
	char wall[64], *line;

	wall_iso(wall, sizeof(wall));
	json_object_set_new(o, "t", json_real(rec_now(r)));
	json_object_set_new(o, "wall", json_string(wall));
	json_object_set_new(o, "peer", peer ? json_string(peer) : json_null());
	json_object_set_new(o, "source", json_string(source));
	json_object_set_new(o, "kind", json_string(kind));
	if (fields)
		json_object_update(o, fields);
	json_decref(fields);
	line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
	fprintf(r->events, "%s\n", line);
	fflush(r->events);
	free(line);
	json_decref(o);
}

/* ---- opening --------------------------------------------------------------- */

static int peer_open(struct recorder *r, struct rec_peer *p, const json_t *node)
{
	char *path;

	p->dir = xstrdup(json_string_value(json_object_get(node, "dir")));
	p->netns = xstrdup(json_string_value(json_object_get(node, "netns")));
	p->protected_addr = xstrdup(json_string_value(json_object_get(node, "protected")));
	p->protected_addr[strcspn(p->protected_addr, "/")] = '\0';
	p->probe = -1;
	p->probe_fd = -1;
	p->probe_go = -1;
	p->burst_fd = -1;
	p->ike_ids = json_array();
	p->child_ids = json_array();
	p->seen = json_object();
	ledger_init(&p->ledger, r->o.grace);
	if (proc_id_from_json(json_object_get(node, "charon"), &p->charon) < 0 ||
	    !proc_alive(&p->charon))
		return err_set("peer %s: charon is not running (see 'ikelab status')", p->name);
	p->nsfd = netns_open(p->netns);
	if (p->nsfd < 0)
		return -1;
	path = xasprintf("%s/run/charon.vici", p->dir);
	p->ev = vici_connect(path, VICI_MS);
	p->cmd = p->ev ? vici_connect(path, VICI_MS) : NULL;
	free(path);
	if (!p->ev || !p->cmd)
		return err_wrap("peer %s", p->name);
	for (const char *const *e = vici_events; *e; e++)
		if (vici_register(p->ev, *e, VICI_MS) < 0)
			return err_wrap("peer %s", p->name);
	if (vici_register(p->cmd, "list-sa", VICI_MS) < 0)
		return err_wrap("peer %s", p->name);
	p->mon = xfrmmon_open(p->nsfd);
	p->xfrm = p->mon ? net_sock_in(p->nsfd, NETLINK_XFRM) : NULL;
	if (!p->mon || !p->xfrm)
		return err_wrap("peer %s", p->name);
	return 0;
}

static int open_outputs(struct recorder *r)
{
	char *path;

	if (mkdir_p(r->dir, 0755) < 0)
		return -1;
	if (r->o.share && inside_uml() && uml_share_dir(r->dir) < 0)
		return -1;
	path = xasprintf("%s/events.jsonl", r->dir);
	r->events = fopen(path, "we");
	free(path);
	path = xasprintf("%s/timeline.csv", r->dir);
	r->timeline = fopen(path, "we");
	free(path);
	if (!r->events || !r->timeline)
		return err_sys("create files in %s", r->dir);
	fprintf(r->timeline, "t,peer,ike,ike_established,ike_connecting,ike_rekeying,ike_deleting,"
		"child,child_installed,child_rekeying,child_rekeyed,child_deleting,"
		"child_max_installed_per_ts,kernel_sas,kernel_policies,acquires,expires_soft,"
		"expires_hard,busy\n");
	return 0;
}

/* What charon loaded, from VICI stats: part of every run's record. */
static json_t *charon_plugins_of(struct rec_peer *p)
{
	struct vici_node *resp = NULL;
	json_t *list = json_array();
	const struct vici_node *pl;

	if (vici_cmd(p->cmd, "stats", NULL, &resp, VICI_MS) == 0 &&
	    (pl = vici_child(resp, "plugins")) && pl->type == VICI_NODE_LIST)
		for (const struct vici_node *it = pl->children; it; it = it->next)
			json_array_append_new(list, json_string(it->value));
	vici_node_free(resp);
	err_clear();
	return list;
}

static char *charon_version_of(struct rec_peer *p)
{
	struct vici_node *resp = NULL;
	char *v = NULL;

	if (vici_cmd(p->cmd, "version", NULL, &resp, VICI_MS) == 0 && vici_str(resp, "version"))
		v = xstrdup(vici_str(resp, "version"));
	vici_node_free(resp);
	err_clear();
	return v;
}

/* What recording cost: this process's CPU time (probes not included). */
static double self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * The recorder is the observer: on user-mode Linux's single CPU it shares
 * the time with both charons, the probes and the kernel's ESP work, and a
 * sample that waits for its turn is a missed tick. A higher weight (nice
 * -10, best effort) lets it sample on time; it takes no more CPU than
 * before, and the charons it asks still answer at their own priority.
 */
#define REC_NICE (-10)

struct recorder *rec_open(const struct rec_opts *o)
{
	struct recorder *r = xcalloc(1, sizeof(*r));
	struct lab_state st;
	const char *name;
	json_t *node;
	struct itimerspec its = { 0 };
	long ns;

	r->o = *o;
	r->dir = xstrdup(o->out);
	r->timer = -1;
	setpriority(PRIO_PROCESS, 0, REC_NICE);
	r->duplicates = json_array();
	r->mismatches = json_array();
	if (lab_peek(&st, o->lab) < 0) {
		lab_close(&st);
		free(r->dir);
		free(r);
		return NULL;
	}
	json_object_foreach(json_object_get(st.doc, "nodes"), name, node) {
		if (strcmp(json_string_value(json_object_get(node, "role")) ?: "", "peer"))
			continue;
		if (r->n == MAX_PEERS)
			break;
		r->p[r->n].name = xstrdup(name);
		if (peer_open(r, &r->p[r->n++], node) < 0)
			goto fail;
	}
	lab_close(&st);
	if (r->n == 0) {
		err_set("lab '%s' has no peers to record", o->lab);
		goto fail_open;
	}
	if (open_outputs(r) < 0)
		goto fail_open;
	r->charon_version = charon_version_of(&r->p[0]);
	r->charon_plugins = charon_plugins_of(&r->p[0]);
	r->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ns = (long)(1e9 / o->rate);
	its.it_interval.tv_sec = ns / 1000000000L;
	its.it_interval.tv_nsec = ns % 1000000000L;
	its.it_value = its.it_interval;
	if (r->timer < 0 || timerfd_settime(r->timer, 0, &its, NULL) < 0) {
		err_sys("timerfd");
		goto fail_open;
	}
	r->t0 = mono_ns();
	r->cpu0 = self_cpu_s();
	rec_emit(r, NULL, "lab", "record-start", json_pack("{s:s, s:f, s:f, s:s?, s:O}", "lab",
		 o->lab, "duration", o->duration, "rate_hz", o->rate, "charon_version",
		 r->charon_version, "charon_plugins", r->charon_plugins));
	return r;
fail:
	lab_close(&st);
fail_open:
	{
		char saved[ERR_MSG_MAX];

		snprintf(saved, sizeof(saved), "%s", err_msg());
		rec_free(r);
		err_set("%s", saved);
	}
	return NULL;
}

/* ---- samples --------------------------------------------------------------- */

static void series_add(struct rec_peer *p, double t)
{
	p->ts = xrealloc(p->ts, (size_t)(p->n_series + 1) * sizeof(double));
	p->ike_series = xrealloc(p->ike_series, (size_t)(p->n_series + 1) * sizeof(double));
	p->child_series = xrealloc(p->child_series, (size_t)(p->n_series + 1) * sizeof(double));
	p->pair_series = xrealloc(p->pair_series, (size_t)(p->n_series + 1) * sizeof(int));
	p->ts_series = xrealloc(p->ts_series, (size_t)(p->n_series + 1) * sizeof(int));
	p->ts[p->n_series] = t;
	/* Growth counts what is up: an SA being deleted is on its way out. */
	p->ike_series[p->n_series] = p->last.ike_established;
	p->child_series[p->n_series] = p->last.child_installed;
	p->pair_series[p->n_series] = p->last.max_established_per_pair;
	p->ts_series[p->n_series++] = p->last.max_installed_per_ts;
}

static void remember_ids(json_t *seen, const uint32_t *ids, int n)
{
	for (int i = 0; i < n; i++) {
		size_t k;
		json_t *v;
		bool have = false;

		json_array_foreach(seen, k, v)
			if (json_integer_value(v) == ids[i])
				have = true;
		if (!have)
			json_array_append_new(seen, json_integer(ids[i]));
	}
}

struct mismatch_ctx {
	struct recorder *r;
	struct rec_peer *p;
};

static void on_mismatch(void *ctx, const struct ledger_mismatch *m)
{
	struct mismatch_ctx *c = ctx;
	json_t *j = json_pack("{s:s, s:s, s:i, s:s}", "what", ledger_what_name(m->what),
			      "sa", m->child ? "child" : "ike", "id", (int)m->id,
			      "explain", m->explain);

	json_array_append_new(c->r->mismatches, json_pack("{s:s, s:f, s:O}", "peer", c->p->name,
			      "t", rec_now(c->r), "detail", j));
	rec_emit(c->r, c->p->name, "ledger", "mismatch", j);
}

static void note_duplicate(struct recorder *r, struct rec_peer *p, const char *kind,
			   const struct episode *e)
{
	if (!e)
		return;
	json_array_append_new(r->duplicates, json_pack("{s:s, s:s, s:s, s:f, s:f, s:i}",
		"peer", p->name, "kind", kind, "key", e->key, "start", e->start, "end", e->end,
		"max", e->max));
	rec_emit(r, p->name, "sample", "duplicate", json_pack("{s:s, s:s, s:f, s:f, s:i}",
		 "sa", kind, "key", e->key, "start", e->start, "end", e->end, "max", e->max));
}

static void write_timeline(struct recorder *r, struct rec_peer *p, double t)
{
	const struct sa_sample *s = &p->last;

	fprintf(r->timeline, "%.3f,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d\n", t,
		p->name, s->ike, s->ike_established, s->ike_connecting, s->ike_rekeying,
		s->ike_deleting, s->child, s->child_installed, s->child_rekeying, s->child_rekeyed,
		s->child_deleting, s->max_installed_per_ts, p->kernel_sas, p->kernel_policies,
		p->acquires, p->expires_soft, p->expires_hard, p->busy);
}

static void charon_gone(struct recorder *r, struct rec_peer *p)
{
	char *how = NULL;
	bool crash = !p->expect_exit;

	if (p->dead)
		return;
	p->dead = true;
	/* Its keeper writes how it ended as soon as it reaps it. */
	for (int i = 0; i < 100 && !(how = peer_exit_reason(p->dir)); i++)
		sleep_ms(10);
	rec_emit(r, p->name, "lab", "charon-exit", json_pack("{s:i, s:s, s:b}", "pid",
		 (int)p->charon.pid, "how", how ? how : "exited (how is unknown)", "scheduled", !crash));
	if (crash)
		r->crashes++;
	if (crash && r->o.crash_is_lab_error && !r->failed) {
		char *tail = peer_log_tail(p->dir, 6);

		r->failed = true;
		r->failure = xasprintf("charon of %s (pid %d) %s at t=%.1f s\n%s", p->name,
				       (int)p->charon.pid, how ? how : "exited", rec_now(r), tail);
		free(tail);
	}
	free(how);
}

/*
 * list-sas with noblock skips an IKE_SA that another thread holds at that
 * moment, so one sample can miss an SA that is there. An IKE_SA the ledger
 * knows as up and that was listed less than a second ago is carried over
 * (and counted in the `busy` column) instead of vanishing for 100 ms.
 */
#define CARRY_S 1.0

static void carry_busy(struct rec_peer *p, json_t *list, double t)
{
	json_t *listed = json_object(), *v, *ike;
	const char *id;
	void *tmp;
	size_t i;

	p->busy = 0;
	json_array_foreach(list, i, ike) {
		const char *uid = json_string_value(json_object_get(ike, "uniqueid"));

		if (!uid)
			continue;
		json_object_set_new(listed, uid, json_true());
		json_object_set_new(p->seen, uid, json_pack("{s:f, s:O}", "t", t, "sa", ike));
	}
	json_object_foreach_safe(p->seen, tmp, id, v) {
		double last = json_real_value(json_object_get(v, "t"));

		if (json_object_get(listed, id))
			continue;
		if (t - last < CARRY_S && ledger_is_up(&p->ledger, false, (uint32_t)atol(id))) {
			json_array_append(list, json_object_get(v, "sa"));
			p->busy++;
		} else {
			json_object_del(p->seen, id);
		}
	}
	json_decref(listed);
}

/* The first half of a sample: every charon gets its list-sas request
 * before the first answer is read, so they answer side by side. A
 * request that cannot be sent fails the answer the same way. */
static void sample_ask(struct recorder *r, struct rec_peer *p)
{
	p->asked = false;
	if (p->dead || p->paused)
		return;
	if (!proc_alive(&p->charon)) {
		charon_gone(r, p);
		return;
	}
	p->asked = true;
	if (sas_list_start(p->cmd, VICI_MS) < 0)
		p->ask_err = xstrdup(err_msg());
}

static void sample_peer(struct recorder *r, struct rec_peer *p, double t)
{
	struct mismatch_ctx mc = { r, p };
	struct sa_counts before = { p->last.ike, p->last.ike_established, p->last.child,
				    p->last.child_installed };
	struct xfrm_dump d;
	json_t *list;

	if (!p->asked)
		return;
	p->asked = false;
	list = p->ask_err ? NULL : sas_list_finish(p->cmd, VICI_MS);
	if (p->ask_err) {
		err_set("%s", p->ask_err);
		free(p->ask_err);
		p->ask_err = NULL;
	}
	if (!list) {
		/* Either charon just died, or it hangs: both end the run. */
		if (!proc_alive(&p->charon)) {
			charon_gone(r, p);
		} else if (!r->failed) {
			char *tail = peer_log_tail(p->dir, 6);

			/* Alive but silent: hung (or stopped) -- a lab failure
			 * found within one VICI timeout. */
			r->failed = true;
			r->failure = xasprintf("charon of %s (pid %d) is alive but did not answer "
					       "list-sas: %s\n%s", p->name, (int)p->charon.pid,
					       err_msg(), tail);
			free(tail);
		}
		return;
	}
	carry_busy(p, list, t);
	sample_free(&p->last);
	sample_from_sas(list, t, &p->last);
	json_decref(p->last_list);
	p->last_list = list;
	if (xfrm_dump_sock(p->xfrm, &d) == 0) {
		p->kernel_sas = (int)d.n_sas;
		p->kernel_policies = (int)d.n_policies;
		xfrm_dump_free(&d);
	}
	err_clear();
	write_timeline(r, p, t);
	series_add(p, t);
	remember_ids(p->ike_ids, p->last.ike_ids, p->last.n_ike_ids);
	remember_ids(p->child_ids, p->last.child_ids, p->last.n_child_ids);
	if (p->last.ike > p->max_ike)
		p->max_ike = p->last.ike;
	if (p->last.ike_established > p->max_ike_est)
		p->max_ike_est = p->last.ike_established;
	if (p->last.child_installed > p->max_child_inst)
		p->max_child_inst = p->last.child_installed;
	if (p->last.max_installed_per_ts > p->max_child_per_ts)
		p->max_child_per_ts = p->last.max_installed_per_ts;
	if (p->last.rekeying)
		p->last_rekey_t = t;
	note_duplicate(r, p, "ike", dup_update(&p->dup_ike, t, p->last.max_established_per_pair,
		       p->last.pair_key, r->o.grace));
	note_duplicate(r, p, "child", dup_update(&p->dup_child, t, p->last.max_installed_per_ts,
		       p->last.ts_key, r->o.grace));
	ledger_check(&p->ledger, &p->last, on_mismatch, &mc);
	if (before.ike != p->last.ike || before.ike_established != p->last.ike_established ||
	    before.child != p->last.child || before.child_installed != p->last.child_installed)
		rec_emit(r, p->name, "sample", "counts", json_pack("{s:i, s:i, s:i, s:i}",
			 "ike", p->last.ike, "ike_established", p->last.ike_established,
			 "child", p->last.child, "child_installed", p->last.child_installed));
}

static void sample_all(struct recorder *r)
{
	double t = rec_now(r);

	if (r->samples && t - r->last_sample_t > r->max_gap)
		r->max_gap = t - r->last_sample_t;
	r->last_sample_t = t;
	r->samples++;
	for (int i = 0; i < r->n; i++)
		sample_ask(r, &r->p[i]);
	for (int i = 0; i < r->n; i++)
		sample_peer(r, &r->p[i], t);
	/* Once per sample: a write costs a host system call under UML. */
	fflush(r->timeline);
	if (r->traffic)
		fflush(r->traffic);
	/* Tells a late sample caused by a slow charon or kernel from one
	 * caused by the machine not running us. */
	t = rec_now(r) - t;
	if (t > r->slowest_sample)
		r->slowest_sample = t;
}

/* ---- VICI events ------------------------------------------------------------- */

static const struct vici_node *first_section(const struct vici_node *msg)
{
	for (const struct vici_node *n = msg->children; n; n = n->next)
		if (n->type == VICI_NODE_SECTION)
			return n;
	return NULL;
}

static uint32_t node_id(const struct vici_node *sec)
{
	const char *v = vici_str(sec, "uniqueid");

	return v ? (uint32_t)strtoul(v, NULL, 10) : 0;
}

static json_t *child_json(const struct vici_node *c)
{
	json_t *j = vici_to_json(c);
	json_t *out = json_pack("{s:s, s:i, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}",
		"name", vici_str(c, "name") ?: c->name, "id", (int)node_id(c),
		"reqid", json_object_get(j, "reqid"), "state", json_object_get(j, "state"),
		"local_ts", json_object_get(j, "local-ts"), "remote_ts", json_object_get(j, "remote-ts"),
		"spi_in", json_object_get(j, "spi-in"), "spi_out", json_object_get(j, "spi-out"));

	json_decref(j);
	return out;
}

static void on_updown(struct recorder *r, struct rec_peer *p, const char *name,
		      const struct vici_node *msg)
{
	const struct vici_node *ike = first_section(msg);
	bool up = vici_str(msg, "up") && !strcmp(vici_str(msg, "up"), "yes");
	uint32_t ike_id = ike ? node_id(ike) : 0;

	if (!ike)
		return;
	if (!strcmp(name, "ike-updown")) {
		rec_emit(r, p->name, "vici", name, json_pack("{s:b, s:{s:s, s:i, s:s?, s:s?, s:s?, s:b}}",
			 "up", up, "ike", "name", ike->name, "id", (int)ike_id,
			 "state", vici_str(ike, "state"), "local", vici_str(ike, "local-host"),
			 "remote", vici_str(ike, "remote-host"), "initiator",
			 vici_str(ike, "initiator") && !strcmp(vici_str(ike, "initiator"), "yes")));
		if (up) {
			ledger_up(&p->ledger, false, ike_id, 0);
			/* A second IKE_SA coming up is a reauthentication, or
			 * a duplicate: either way, a window for acquires. */
			p->last_rekey_t = rec_now(r);
		} else {
			ledger_ike_down(&p->ledger, ike_id);
		}
		return;
	}
	/* child-updown: one IKE_SA section with one child */
	for (const struct vici_node *c = vici_child(ike, "child-sas") ?
	     vici_child(ike, "child-sas")->children : NULL; c; c = c->next) {
		if (c->type != VICI_NODE_SECTION)
			continue;
		rec_emit(r, p->name, "vici", name, json_pack("{s:b, s:i, s:o}", "up", up,
			 "ike_id", (int)ike_id, "child", child_json(c)));
		if (up)
			ledger_up(&p->ledger, true, node_id(c), ike_id);
		else
			ledger_down(&p->ledger, true, node_id(c));
	}
}

static void on_ike_rekey(struct recorder *r, struct rec_peer *p, const struct vici_node *msg)
{
	const struct vici_node *ike = first_section(msg);
	const struct vici_node *o = ike ? vici_child(ike, "old") : NULL;
	const struct vici_node *n = ike ? vici_child(ike, "new") : NULL;

	if (!o || !n)
		return;
	p->ike_rekeys++;
	p->last_rekey_t = rec_now(r);
	rec_emit(r, p->name, "vici", "ike-rekey", json_pack("{s:s, s:i, s:i}", "name", ike->name,
		 "old_id", (int)node_id(o), "new_id", (int)node_id(n)));
	ledger_ike_rekey(&p->ledger, node_id(o), node_id(n));
}

static void on_child_rekey(struct recorder *r, struct rec_peer *p, const struct vici_node *msg)
{
	struct mismatch_ctx mc = { r, p };
	const struct vici_node *ike = first_section(msg);
	const struct vici_node *cs = ike ? vici_child(ike, "child-sas") : NULL;

	for (const struct vici_node *c = cs ? cs->children : NULL; c; c = c->next) {
		const struct vici_node *o = vici_child(c, "old"), *n = vici_child(c, "new");

		if (!o || !n)
			continue;
		p->child_rekeys++;
		p->last_rekey_t = rec_now(r);
		rec_emit(r, p->name, "vici", "child-rekey", json_pack("{s:i, s:s, s:i, s:i, s:s?, s:s?}",
			 "ike_id", (int)node_id(ike), "name", vici_str(o, "name") ?: c->name,
			 "old_id", (int)node_id(o), "new_id", (int)node_id(n),
			 "old_spi_in", vici_str(o, "spi-in"), "new_spi_in", vici_str(n, "spi-in")));
		ledger_child_rekey(&p->ledger, node_id(o), node_id(n), node_id(ike), rec_now(r),
				   on_mismatch, &mc);
	}
}

static void on_vici(struct recorder *r, struct rec_peer *p)
{
	struct vici_node *msg;
	char *name;
	int n;

	while ((n = vici_next_event(p->ev, &name, &msg, 0)) > 0) {
		if (!strcmp(name, "ike-updown") || !strcmp(name, "child-updown")) {
			on_updown(r, p, name, msg);
		} else if (!strcmp(name, "ike-rekey")) {
			on_ike_rekey(r, p, msg);
		} else if (!strcmp(name, "child-rekey")) {
			on_child_rekey(r, p, msg);
		} else {
			const struct vici_node *ike = first_section(msg);

			rec_emit(r, p->name, "vici", name, json_pack("{s:i, s:s?, s:s?}", "ike_id",
				 ike ? (int)node_id(ike) : 0, "local", ike ? vici_str(ike, "local-host") : NULL,
				 "remote", ike ? vici_str(ike, "remote-host") : NULL));
		}
		free(name);
		vici_node_free(msg);
	}
	/* The daemon closed the connection: it is going or gone. */
	if (n < 0) {
		err_clear();
		sleep_ms(50);
		if (!proc_alive(&p->charon))
			charon_gone(r, p);
	}
}

/* ---- kernel notifications ---------------------------------------------------- */

struct note_ctx {
	struct recorder *r;
	struct rec_peer *p;
};

static void on_note(void *ctx, const struct xfrm_note *n)
{
	struct note_ctx *c = ctx;
	struct rec_peer *p = c->p;
	double t = rec_now(c->r);
	char spi[16];

	if (n->kind == XFRM_NOTE_ACQUIRE) {
		/* In a rekey when the last sample showed one, or a rekey or
		 * reauth event came within the last two seconds. */
		bool in_rekey = p->last.rekeying || (p->last_rekey_t > 0 && t - p->last_rekey_t < 2.0);

		p->acquires++;
		if (in_rekey)
			p->acquires_in_rekey++;
		rec_emit(c->r, p->name, "kernel", "acquire", json_pack("{s:s, s:s, s:b}",
			 "src", n->src, "dst", n->dst, "during_rekey", in_rekey));
		return;
	}
	if (n->hard)
		p->expires_hard++;
	else
		p->expires_soft++;
	snprintf(spi, sizeof(spi), "%08x", n->spi);
	rec_emit(c->r, p->name, "kernel", "expire", json_pack("{s:b, s:s, s:s, s:s}", "hard",
		 n->hard, "spi", spi, "src", n->src, "dst", n->dst));
}

/* ---- probes ------------------------------------------------------------------- */

static struct direction *direction(struct recorder *r, const char *from, const char *to)
{
	char name[40];

	snprintf(name, sizeof(name), "%s>%s", from, to);
	for (int i = 0; i < r->n_dirs; i++)
		if (!strcmp(r->dirs[i].name, name))
			return &r->dirs[i];
	if (r->n_dirs == MAX_PEERS)
		return NULL;
	snprintf(r->dirs[r->n_dirs].name, sizeof(r->dirs[0].name), "%s", name);
	r->dirs[r->n_dirs].windows = json_array();
	return &r->dirs[r->n_dirs++];
}

static struct interval *interval_at(struct direction *d, long long start)
{
	for (int i = d->n - 1; i >= 0 && i >= d->n - 200; i--)
		if (d->iv[i].start_ns == start)
			return &d->iv[i];
	d->iv = xrealloc(d->iv, (size_t)(d->n + 1) * sizeof(*d->iv));
	memset(&d->iv[d->n], 0, sizeof(*d->iv));
	d->iv[d->n].start_ns = start;
	return &d->iv[d->n++];
}

static void interval_emit(struct recorder *r, struct direction *d, struct interval *iv)
{
	long sent = iv->tx + iv->txerr;
	long unique = iv->rx - iv->dup;     /* dups are among rx */
	long lost = sent > unique ? sent - unique : 0;
	double t = (double)(iv->start_ns - r->t0) / 1e9;

	iv->done = true;
	d->tx += iv->tx;
	d->txerr += iv->txerr;
	d->rx += iv->rx;
	d->lost += lost;
	d->dup += iv->dup;
	d->reorder += iv->reorder;
	if (!r->traffic) {
		char *path = xasprintf("%s/traffic.csv", r->dir);

		r->traffic = fopen(path, "we");
		free(path);
		if (!r->traffic)
			return;
		fprintf(r->traffic, "t,dir,tx,rx,lost,dup,reorder\n");
	}
	fprintf(r->traffic, "%.3f,%s,%ld,%ld,%ld,%ld,%ld\n", t, d->name, sent, iv->rx, lost,
		iv->dup, iv->reorder);
	if (lost || iv->dup || iv->reorder)
		rec_emit(r, NULL, "probe", "interval", json_pack("{s:s, s:f, s:i, s:i, s:i, s:i, s:i}",
			 "dir", d->name, "start", t, "tx", (int)sent, "rx", (int)iv->rx,
			 "lost", (int)lost, "dup", (int)iv->dup, "reorder", (int)iv->reorder));
}

/* Intervals are written in order: each once both probes reported it, or
 * once it is old enough that the receiver's report is not coming (nothing
 * arrived: all of it was lost). */
#define INTERVAL_STALE_NS 3000000000LL

static void flush_dir(struct recorder *r, struct direction *d, bool all)
{
	long long now = mono_ns();

	while (d->next < d->n) {
		struct interval *iv = &d->iv[d->next];

		if (!(iv->have_tx && iv->have_rx) && !all && now - iv->start_ns < INTERVAL_STALE_NS)
			break;
		if (!iv->done && iv->have_tx)
			interval_emit(r, d, iv);
		d->next++;
	}
}

static void flush_traffic(struct recorder *r, bool all)
{
	for (int i = 0; i < r->n_dirs; i++)
		flush_dir(r, &r->dirs[i], all);
}

static void probe_line(struct recorder *r, struct rec_peer *me, struct rec_peer *other,
		       const char *line)
{
	json_t *j = json_loads(line, 0, NULL);
	const char *type = json_string_value(json_object_get(j, "type"));
	long long start = json_integer_value(json_object_get(j, "start_ns"));
	struct direction *out = direction(r, me->name, other->name);
	struct direction *in = direction(r, other->name, me->name);
	struct interval *iv;

	if (!type || !out || !in) {
		json_decref(j);
		return;
	}
	if (!strcmp(type, "tx")) {
		iv = interval_at(out, start);
		iv->tx = (long)json_integer_value(json_object_get(j, "tx"));
		iv->txerr = (long)json_integer_value(json_object_get(j, "txerr"));
		iv->have_tx = true;
		flush_dir(r, out, false);
	} else if (!strcmp(type, "rx")) {
		iv = interval_at(in, start);
		iv->rx = (long)json_integer_value(json_object_get(j, "rx"));
		iv->dup = (long)json_integer_value(json_object_get(j, "dup"));
		iv->reorder = (long)json_integer_value(json_object_get(j, "reorder"));
		iv->have_rx = true;
		flush_dir(r, in, false);
	} else if (!strcmp(type, "loss")) {
		double s = (double)(json_integer_value(json_object_get(j, "start_ns")) - r->t0) / 1e9;
		double e = (double)(json_integer_value(json_object_get(j, "end_ns")) - r->t0) / 1e9;
		int n = (int)json_integer_value(json_object_get(j, "packets"));

		json_array_append_new(in->windows, json_pack("{s:f, s:f, s:i}", "start", s, "end", e,
				      "packets", n));
		rec_emit(r, NULL, "probe", "loss-window", json_pack("{s:s, s:f, s:f, s:i}", "dir",
			 in->name, "start", s, "end", e, "packets", n));
	} else if (!strcmp(type, "end")) {
		out->last_seq_sent = (long)json_integer_value(json_object_get(j, "last_seq_sent"));
		in->highest_seq_rx = (long)json_integer_value(json_object_get(j, "highest_seq_rx"));
	} else if (!strcmp(type, "ready")) {
		me->probe_ready = true;
	} else if (!strcmp(type, "reset")) {
		rec_emit(r, me->name, "probe", "reset", json_pack("{s:s}", "dir", in->name));
	}
	json_decref(j);
}

static struct rec_peer *other_peer(struct recorder *r, struct rec_peer *p)
{
	for (int i = 0; i < r->n; i++)
		if (&r->p[i] != p)
			return &r->p[i];
	return p;
}

/* A probe that ends on its own takes the loss measurement with it: the
 * run cannot be trusted, which is a lab failure. */
static void probe_died(struct recorder *r, struct rec_peer *p)
{
	char *path = xasprintf("%s/probe-%s.err", r->dir, p->name), *text = NULL;

	if (read_file(path, &text, NULL) < 0)
		err_clear();
	if (text)
		text[strcspn(text, "\n")] = '\0';
	rec_emit(r, p->name, "lab", "probe-exit", json_pack("{s:s}", "error",
		 text && *text ? text : "exited"));
	if (!r->failed) {
		r->failed = true;
		r->failure = xasprintf("the traffic probe in %s stopped at t=%.1f s: %s", p->name,
				       rec_now(r), text && *text ? text : "exited");
	}
	free(text);
	free(path);
}

static void on_probe(struct recorder *r, struct rec_peer *p)
{
	char buf[8192];
	ssize_t n = read(p->probe_fd, buf, sizeof(buf));
	char *nl;

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			p->probe_eof = true;
			if (!r->stopping_probes)
				probe_died(r, p);
		}
		return;
	}
	sb_add(&p->probe_buf, buf, (size_t)n);
	while ((nl = memchr(p->probe_buf.buf, '\n', p->probe_buf.len))) {
		*nl = '\0';
		probe_line(r, p, other_peer(r, p), p->probe_buf.buf);
		p->probe_buf.len -= (size_t)(nl + 1 - p->probe_buf.buf);
		memmove(p->probe_buf.buf, nl + 1, p->probe_buf.len);
	}
}

static char *probe_binary(void)
{
	char exe[PATH_MAX];

	snprintf(exe, sizeof(exe), "%s", self_exe());
	return xasprintf("%s/ikelab-probe", dirname(exe));
}

static int probe_start(struct recorder *r, struct rec_peer *p, int pps)
{
	char *bin = probe_binary(), *errlog = xasprintf("%s/probe-%s.err", r->dir, p->name);
	char rate[16];
	int out[2], in[2];
	pid_t pid;

	snprintf(rate, sizeof(rate), "%d", pps);
	/* A probe started again after rec_stop_traffic starts clean. */
	if (p->probe_fd >= 0)
		close(p->probe_fd);
	p->probe_fd = -1;
	p->probe_eof = false;
	p->probe_ready = false;
	p->probe_buf.len = 0;
	if (access(bin, X_OK) < 0) {
		err_sys("probe %s", bin);
		free(bin);
		free(errlog);
		return err_wrap("run make");
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		free(bin);
		free(errlog);
		return err_sys("pipe");
	}
	if (pipe2(in, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		free(bin);
		free(errlog);
		return err_sys("pipe");
	}
	pid = fork();
	if (pid == 0) {
		int fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (setns(p->nsfd, CLONE_NEWNET) < 0)
			_exit(126);
		/* The recorder's priority is the observer's, not the traffic's. */
		setpriority(PRIO_PROCESS, 0, 0);
		dup2(in[0], 0);
		dup2(out[1], 1);
		if (fd >= 0)
			dup2(fd, 2);
		execl(bin, "ikelab-probe", "--local", p->protected_addr, "--remote",
		      other_peer(r, p)->protected_addr, "--rate", rate, "--wait-go", (char *)NULL);
		_exit(127);
	}
	free(bin);
	free(errlog);
	close(out[1]);
	close(in[0]);
	if (pid < 0) {
		close(out[0]);
		close(in[1]);
		return err_sys("fork");
	}
	p->probe = pid;
	p->probe_fd = out[0];
	p->probe_go = in[1];
	fcntl(p->probe_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

#define PROBE_READY_MS 5000

int rec_start_traffic(struct recorder *r, int pps)
{
	int64_t deadline = mono_ns() + (int64_t)PROBE_READY_MS * 1000000;

	if (r->n != 2)
		return err_set("probe traffic needs exactly two peers");
	for (int i = 0; i < r->n; i++)
		if (probe_start(r, &r->p[i], pps) < 0)
			return err_wrap("peer %s", r->p[i].name);
	/* Both listen before either sends, or the first packets look lost. */
	while (!(r->p[0].probe_ready && r->p[1].probe_ready)) {
		if (mono_ns() > deadline || r->p[0].probe_eof || r->p[1].probe_eof)
			return err_set("the traffic probes did not start (see %s/probe-*.err)", r->dir);
		rec_poll(r, 20);
	}
	for (int i = 0; i < r->n; i++) {
		if (write(r->p[i].probe_go, "g", 1) != 1)
			return err_sys("start the probe in %s", r->p[i].name);
		close(r->p[i].probe_go);
		r->p[i].probe_go = -1;
	}
	rec_emit(r, NULL, "lab", "traffic-start", json_pack("{s:i}", "pps", pps));
	return 0;
}

/* ---- the loop ---------------------------------------------------------------- */

static long self_rss_kb(void)
{
	char *text, *p;
	long kb = 0;

	if (read_file("/proc/self/status", &text, NULL) < 0) {
		err_clear();
		return 0;
	}
	p = strstr(text, "VmRSS:");
	if (p)
		kb = strtol(p + 6, NULL, 10);
	free(text);
	return kb;
}

/* The recorder's own memory every 10 s: a long run must stay flat. */
static void watch_rss(struct recorder *r)
{
	double t = rec_now(r);

	if (r->rss_first && t - r->rss_at < 10)
		return;
	r->rss_at = t;
	r->rss_last = self_rss_kb();
	if (!r->rss_first)
		r->rss_first = r->rss_last;
	if (r->rss_last > r->rss_max)
		r->rss_max = r->rss_last;
	/* CPU alongside: a cost that grows with the run's length shows here. */
	rec_emit(r, NULL, "lab", "recorder-rss", json_pack("{s:i, s:f}", "kb", (int)r->rss_last,
		 "cpu_s", self_cpu_s() - r->cpu0));
}

static void status_line(struct recorder *r)
{
	double t = rec_now(r);
	long lost = 0;

	if (!r->o.live || t - r->last_status < 0.5)
		return;
	r->last_status = t;
	for (int i = 0; i < r->n_dirs; i++)
		lost += r->dirs[i].lost;
	printf("\r\033[K[%6.1fs/%.0fs]", t, r->o.duration);
	for (int i = 0; i < r->n; i++)
		printf(" %s IKE %d CHILD %d |", r->p[i].name, r->p[i].last.ike,
		       r->p[i].last.child_installed);
	printf(" acquires %d | lost %ld", r->p[0].acquires + (r->n > 1 ? r->p[1].acquires : 0), lost);
	fflush(stdout);
}

int rec_poll(struct recorder *r, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;

	do {
		struct pollfd pf[1 + 3 * MAX_PEERS + 8];
		struct rec_peer *owner[1 + 3 * MAX_PEERS + 8];
		int kind[1 + 3 * MAX_PEERS + 8], n = 1;
		int64_t left = (deadline - mono_ns()) / 1000000;

		pf[0] = (struct pollfd){ r->timer, POLLIN, 0 };
		for (int i = 0; i < r->n; i++) {
			struct rec_peer *p = &r->p[i];

			/* on_vici drains everything the client read, so the
			 * socket being readable is the only signal needed. */
			if (!p->dead) {
				owner[n] = p, kind[n] = 0;
				pf[n++] = (struct pollfd){ vici_fd(p->ev), POLLIN, 0 };
			}
			owner[n] = p, kind[n] = 1;
			pf[n++] = (struct pollfd){ xfrmmon_fd(p->mon), POLLIN, 0 };
			if (p->probe_fd >= 0 && !p->probe_eof) {
				owner[n] = p, kind[n] = 2;
				pf[n++] = (struct pollfd){ p->probe_fd, POLLIN, 0 };
			}
		}
		for (int w = 0; w < r->n_watch; w++) {
			owner[n] = NULL, kind[n] = 3 + w;
			pf[n++] = (struct pollfd){ r->watch[w].fd, POLLIN, 0 };
		}
		if (poll(pf, (nfds_t)n, left > 0 ? (int)left : 0) < 0 && errno != EINTR)
			return err_sys("poll");
		for (int i = 1; i < n; i++) {
			struct note_ctx nc = { r, owner[i] };

			if (!pf[i].revents)
				continue;
			if (kind[i] >= 3)
				r->watch[kind[i] - 3].cb(r->watch[kind[i] - 3].ctx);
			else if (kind[i] == 0)
				on_vici(r, owner[i]);
			else if (kind[i] == 1 && xfrmmon_read(owner[i]->mon, on_note, &nc) < 0)
				rec_emit(r, owner[i]->name, "kernel", "lost-notifications",
					 json_pack("{s:s}", "error", err_msg()));
			else if (kind[i] == 2)
				on_probe(r, owner[i]);
		}
		if (pf[0].revents) {
			uint64_t ticks;

			if (read(r->timer, &ticks, sizeof(ticks)) == sizeof(ticks)) {
				if (ticks > 1)
					r->missed_ticks += (long)(ticks - 1);
				sample_all(r);
			}
		}
		flush_traffic(r, false);
		watch_rss(r);
		status_line(r);
	} while (mono_ns() < deadline && !r->failed);
	return 0;
}

/* ---- finishing ---------------------------------------------------------------- */

static void stop_probes(struct recorder *r)
{
	int64_t deadline = mono_ns() + (int64_t)PROBE_DRAIN_MS * 1000000;
	bool running = false;

	r->stopping_probes = true;
	for (int i = 0; i < r->n; i++)
		if (r->p[i].probe > 0) {
			kill(r->p[i].probe, SIGTERM);
			running = true;
		}
	if (!running)
		return;
	/* Their last reports come after their grace period. */
	for (;;) {
		bool open = false;

		for (int i = 0; i < r->n; i++)
			if (r->p[i].probe_fd >= 0 && !r->p[i].probe_eof)
				open = true;
		if (!open || mono_ns() > deadline)
			break;
		rec_poll(r, 50);
	}
	for (int i = 0; i < r->n; i++) {
		struct rec_peer *p = &r->p[i];

		if (p->probe <= 0)
			continue;
		kill(p->probe, SIGKILL);
		waitpid(p->probe, NULL, 0);
		p->probe = -1;
	}
	r->stopping_probes = false;
}

static void finish_traffic(struct recorder *r, json_t *traffic)
{
	for (int d = 0; d < r->n_dirs; d++) {
		struct direction *dir = &r->dirs[d];

		/* Intervals one side never reported: what was sent and not
		 * confirmed received is lost. */
		flush_dir(r, dir, true);
		json_object_set_new(traffic, dir->name, json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:O}",
			"tx", (int)(dir->tx + dir->txerr), "tx_failed", (int)dir->txerr,
			"rx", (int)dir->rx, "lost", (int)dir->lost, "dup", (int)dir->dup,
			"reorder", (int)dir->reorder, "loss_windows", dir->windows));
	}
}

/* Which SAs were left at the end (a rekey collision's survivors, say). */
static json_t *final_sas(const struct rec_peer *p)
{
	json_t *out = json_array(), *ike, *child;
	size_t i, k;

	json_array_foreach(p->last_list, i, ike) {
		json_t *children = json_array();

		json_array_foreach(json_object_get(ike, "child-sas"), k, child)
			json_array_append_new(children, json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}",
				"id", json_object_get(child, "uniqueid"), "name", json_object_get(child, "name"),
				"state", json_object_get(child, "state"),
				"spi_in", json_object_get(child, "spi-in"),
				"spi_out", json_object_get(child, "spi-out")));
		json_array_append_new(out, json_pack("{s:O?, s:O?, s:O?, s:o}", "id",
			json_object_get(ike, "uniqueid"), "state", json_object_get(ike, "state"),
			"initiator", json_object_get(ike, "initiator"), "children", children));
	}
	return out;
}

/* Growth of what lasted: short overlaps and dips filtered out first. */
static double sustained_growth(const struct recorder *r, const struct rec_peer *p,
			       const double *series)
{
	double *f = xcalloc((size_t)p->n_series + 1, sizeof(double)), g;
	int first = 0;

	/* From the first SA on: bringing the tunnel up is not growth. */
	while (first < p->n_series && series[first] == 0)
		first++;
	sustained_level(p->ts + first, series + first, p->n_series - first, r->o.grace, f);
	g = growth_per_hour(p->ts + first, f, p->n_series - first);
	free(f);
	return g;
}

static json_t *peer_summary(struct recorder *r, struct rec_peer *p)
{
	double ike_since, child_since;
	int ike = sustained_max(p->ts, p->pair_series, p->n_series, r->o.grace, &ike_since);
	int child = sustained_max(p->ts, p->ts_series, p->n_series, r->o.grace, &child_since);
	json_t *j = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:O, s:O}",
		"max_ike", p->max_ike, "max_ike_established", p->max_ike_est,
		"max_child_installed", p->max_child_inst,
		"max_child_installed_per_ts", p->max_child_per_ts,
		"acquires", p->acquires, "acquires_during_rekey", p->acquires_in_rekey,
		"expires_soft", p->expires_soft, "expires_hard", p->expires_hard,
		"ike_rekeys", p->ike_rekeys, "child_rekeys", p->child_rekeys,
		"ike_growth_per_hour", sustained_growth(r, p, p->ike_series),
		"child_growth_per_hour", sustained_growth(r, p, p->child_series),
		"ike_ids_seen", p->ike_ids, "child_ids_seen", p->child_ids);

	json_object_set_new(j, "final_sas", final_sas(p));
	/* What lasted longer than the grace period: rekey and reauth
	 * overlaps do not count, stuck duplicates do. */
	json_object_set_new(j, "sustained_max_ike_per_pair", json_integer(ike));
	json_object_set_new(j, "sustained_max_ike_since", json_real(ike_since));
	json_object_set_new(j, "sustained_max_child_per_ts", json_integer(child));
	json_object_set_new(j, "sustained_max_child_since", json_real(child_since));
	return j;
}

static int write_summary(struct recorder *r, bool interrupted)
{
	json_t *s = json_object(), *peers = json_object(), *traffic = json_object();
	char *path, *text, wall[64];
	double t = rec_now(r);
	int rc;

	for (int i = 0; i < r->n; i++) {
		struct rec_peer *p = &r->p[i];

		note_duplicate(r, p, "ike", dup_finish(&p->dup_ike, t, r->o.grace));
		note_duplicate(r, p, "child", dup_finish(&p->dup_child, t, r->o.grace));
		json_object_set_new(peers, p->name, peer_summary(r, p));
	}
	finish_traffic(r, traffic);
	wall_iso(wall, sizeof(wall));
	json_object_set_new(s, "lab", json_string(r->o.lab));
	json_object_set_new(s, "duration_s", json_real(t));
	json_object_set_new(s, "rate_hz", json_real(r->o.rate));
	json_object_set_new(s, "grace_s", json_real(r->o.grace));
	json_object_set_new(s, "ended_wall", json_string(wall));
	json_object_set_new(s, "charon_version", r->charon_version ?
			    json_string(r->charon_version) : json_null());
	json_object_set(s, "charon_plugins", r->charon_plugins);
	json_object_set_new(s, "verdict", json_string(r->failed ? "lab-error" : "ok"));
	json_object_set_new(s, "lab_error", r->failure ? json_string(r->failure) : json_null());
	json_object_set_new(s, "interrupted", json_boolean(interrupted));
	json_object_set_new(s, "recorder_cpu_s", json_real(self_cpu_s() - r->cpu0));
	json_object_set_new(s, "recorder_rss_kb", json_pack("{s:i, s:i, s:i}", "first",
			    (int)r->rss_first, "max", (int)r->rss_max, "last", (int)self_rss_kb()));
	json_object_set_new(s, "crashes", json_integer(r->crashes));
	json_object_set_new(s, "samples", json_integer(r->samples));
	json_object_set_new(s, "max_sample_gap_s", json_real(r->max_gap));
	json_object_set_new(s, "missed_ticks", json_integer(r->missed_ticks));
	json_object_set_new(s, "slowest_sample_s", json_real(r->slowest_sample));
	json_object_set_new(s, "peers", peers);
	json_object_set(s, "duplicates", r->duplicates);
	json_object_set_new(s, "traffic", traffic);
	json_object_set_new(s, "ledger", json_pack("{s:i, s:O}", "mismatches",
			    (int)json_array_size(r->mismatches), "details", r->mismatches));
	path = xasprintf("%s/summary.json", r->dir);
	text = json_dumps(s, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	rc = write_file(path, text, strlen(text), 0644);
	free(text);
	free(path);
	json_decref(s);
	return rc;
}

/* A recording that missed many ticks may have missed short-lived SAs
 * between samples too: say so where the user looks, not only in the
 * summary. */
static void warn_missed_ticks(const struct recorder *r)
{
	double due = rec_now(r) * r->o.rate;
	/* Most of the longest gap spent in one sample: charon was slow. */
	bool charon = r->slowest_sample > 0.5 * r->max_gap;

	if (due > 0 && r->missed_ticks > 0.1 * due)
		fprintf(stderr, "ikelab: warning: lab '%s': %ld of %.0f sampling ticks at %g Hz "
			"passed without a sample (longest gap %.3f s), so %s/timeline.csv may miss "
			"counts shorter than that; %s %.3f s%s\n", r->o.lab, r->missed_ticks, due,
			r->o.rate, r->max_gap, r->dir, charon ?
			"one sample (charon's list-sas, the kernel's dumps) took up to" :
			"the machine did not run the recorder on time, a sample took at most",
			r->slowest_sample, r->slowest_sample * r->o.rate > 1 ?
			", longer than a tick: record at a lower --rate" :
			charon ? "" : ": record on a less busy machine");
}

int rec_finish(struct recorder *r, bool interrupted)
{
	stop_probes(r);
	/* One last look, so the summary ends on the final state. */
	if (!r->failed)
		sample_all(r);
	if (write_summary(r, interrupted) < 0)
		return -1;
	rec_emit(r, NULL, "lab", "record-end", json_pack("{s:s, s:s?}", "verdict",
		 r->failed ? "lab-error" : "ok", "reason", r->failure));
	if (r->o.live)
		printf("\n");
	warn_missed_ticks(r);
	if (r->failed) {
		err_set("lab error: %s", r->failure);
		return 2;
	}
	return 0;
}

void rec_free(struct recorder *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->n; i++) {
		struct rec_peer *p = &r->p[i];

		if (p->probe > 0) {
			kill(p->probe, SIGKILL);
			waitpid(p->probe, NULL, 0);
		}
		if (p->probe_fd >= 0)
			close(p->probe_fd);
		if (p->probe_go >= 0)
			close(p->probe_go);
		sb_free(&p->probe_buf);
		vici_close(p->ev);
		vici_close(p->cmd);
		xfrmmon_close(p->mon);
		net_sock_free(p->xfrm);
		if (p->nsfd > 0)
			close(p->nsfd);
		sample_free(&p->last);
		dup_free(&p->dup_ike);
		dup_free(&p->dup_child);
		ledger_free(&p->ledger);
		free(p->ts);
		free(p->ike_series);
		free(p->child_series);
		json_decref(p->ike_ids);
		json_decref(p->child_ids);
		json_decref(p->seen);
		json_decref(p->last_list);
		free(p->pair_series);
		free(p->ts_series);
		if (p->burst_fd >= 0)
			close(p->burst_fd);
		free(p->name);
		free(p->dir);
		free(p->netns);
		free(p->protected_addr);
	}
	for (int i = 0; i < r->n_dirs; i++) {
		free(r->dirs[i].iv);
		json_decref(r->dirs[i].windows);
	}
	if (r->events)
		fclose(r->events);
	if (r->timeline)
		fclose(r->timeline);
	if (r->traffic)
		fclose(r->traffic);
	if (r->timer >= 0)
		close(r->timer);
	json_decref(r->duplicates);
	json_decref(r->mismatches);
	json_decref(r->charon_plugins);
	free(r->failure);
	free(r->charon_version);
	free(r->dir);
	free(r);
}

/* ---- for scenario actions -------------------------------------------------- */

int rec_crashes(const struct recorder *r)
{
	return r->crashes;
}

static struct rec_peer *peer_named(struct recorder *r, const char *name)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->p[i].name, name))
			return &r->p[i];
	return NULL;
}

void rec_watch(struct recorder *r, int fd, void (*cb)(void *ctx), void *ctx)
{
	if (r->n_watch == (int)ARRAY_LEN(r->watch))
		return;
	r->watch[r->n_watch].fd = fd;
	r->watch[r->n_watch].cb = cb;
	r->watch[r->n_watch++].ctx = ctx;
}

void rec_expect_exit(struct recorder *r, const char *peer)
{
	struct rec_peer *p = peer_named(r, peer);

	if (p)
		p->expect_exit = true;
}

void rec_pause(struct recorder *r, const char *peer, bool paused)
{
	struct rec_peer *p = peer_named(r, peer);

	if (p)
		p->paused = paused;
}

int rec_reattach(struct recorder *r, const char *peer)
{
	struct rec_peer *p = peer_named(r, peer);
	struct lab_state st;
	json_t *node;
	char *path;

	if (!p)
		return err_set("no peer named '%s'", peer);
	if (lab_peek(&st, r->o.lab) < 0) {
		lab_close(&st);
		return -1;
	}
	node = json_object_get(json_object_get(st.doc, "nodes"), peer);
	if (proc_id_from_json(json_object_get(node, "charon"), &p->charon) < 0) {
		lab_close(&st);
		return err_set("lab '%s' has no charon recorded for %s", r->o.lab, peer);
	}
	lab_close(&st);
	vici_close(p->ev);
	vici_close(p->cmd);
	path = xasprintf("%s/run/charon.vici", p->dir);
	p->ev = vici_connect(path, VICI_MS);
	p->cmd = p->ev ? vici_connect(path, VICI_MS) : NULL;
	free(path);
	if (!p->ev || !p->cmd)
		return err_wrap("peer %s", peer);
	for (const char *const *e = vici_events; *e; e++)
		if (vici_register(p->ev, *e, VICI_MS) < 0)
			return err_wrap("peer %s", peer);
	if (vici_register(p->cmd, "list-sa", VICI_MS) < 0)
		return err_wrap("peer %s", peer);
	p->dead = false;
	p->expect_exit = false;
	json_object_clear(p->seen);
	rec_emit(r, peer, "lab", "charon-start", json_pack("{s:i}", "pid", (int)p->charon.pid));
	return 0;
}

void rec_stop_traffic(struct recorder *r)
{
	stop_probes(r);
	rec_emit(r, NULL, "lab", "traffic-stop", NULL);
}

static int burst_socket(struct rec_peer *p)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct netns_switch sw;
	int fd;

	if (netns_enter(&sw, p->nsfd) < 0)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	netns_leave(&sw);
	if (fd < 0)
		return err_sys("socket in %s", p->netns);
	inet_pton(AF_INET, p->protected_addr, &sa.sin_addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_sys("bind %s in %s", p->protected_addr, p->netns);
		close(fd);
		return -1;
	}
	return fd;
}

int rec_burst(struct recorder *r, const char *peer, unsigned packets)
{
	struct rec_peer *p = peer_named(r, peer);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	static const char payload[32] = "ikelab burst";

	if (!p)
		return err_set("no peer named '%s'", peer);
	if (p->burst_fd < 0 && (p->burst_fd = burst_socket(p)) < 0)
		return -1;
	inet_pton(AF_INET, other_peer(r, p)->protected_addr, &to.sin_addr);
	/* Refused sends are expected while the trap holds the first ones. */
	for (unsigned i = 0; i < packets; i++)
		sendto(p->burst_fd, payload, sizeof(payload), 0, (struct sockaddr *)&to, sizeof(to));
	return 0;
}

const json_t *rec_last_sas(const struct recorder *r, const char *peer)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->p[i].name, peer))
			return r->p[i].last_list;
	return NULL;
}

/* ---- ikelab record ------------------------------------------------------------- */

int record_main(const struct rec_opts *o, int traffic_pps)
{
	struct recorder *r;
	sigset_t mask;
	int sigfd, rc;
	bool interrupted = false;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	r = rec_open(o);
	if (!r) {
		close(sigfd);
		return -1;
	}
	if (traffic_pps > 0 && rec_start_traffic(r, traffic_pps) < 0) {
		rec_free(r);
		close(sigfd);
		return -1;
	}
	while (rec_now(r) < o->duration && !rec_failed(r)) {
		struct signalfd_siginfo si;

		if (rec_poll(r, 100) < 0)
			break;
		if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
			interrupted = true;
			break;
		}
	}
	rc = rec_finish(r, interrupted);
	lab_copy_evidence(o->lab, rec_dir(r));
	if (rc >= 0 && !o->live)
		printf("recorded %.1f s of lab '%s' in %s\n", rec_now(r), o->lab, rec_dir(r));
	else if (rc >= 0)
		printf("recorded %.1f s in %s\n", rec_now(r), rec_dir(r));
	rec_free(r);
	close(sigfd);
	return rc;
}
