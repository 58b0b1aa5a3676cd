/*
 * recorder.c - the recorder: opening, the loop that polls everything,
 * and what scenario actions ask of it (see recorder-internal.h for how
 * the files of lab/record share one struct recorder).
 */
#include "record/recorder-internal.h"
#include "base/json.h"
#include "backend/state.h"
#include "backend/uml/agent.h"
#include "backend/uml/uml.h"
#include "base/err.h"
#include "charon/vici.h"
#include "kernel/net.h"
#include "kernel/netns.h"
#include "kernel/xfrmmon.h"

#include <errno.h>
#include <netlink/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static const char *const vici_events[] = {
	"ike-updown", "child-updown", "ike-rekey", "child-rekey", "ike-update", NULL,
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

void rec_wall_iso(char *buf, size_t len)
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

	rec_wall_iso(wall, sizeof(wall));
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

	p->dir = xstrdup(jget_str(node, "dir"));
	p->netns = xstrdup(jget_str(node, "netns"));
	p->protected_addr = xstrdup(jget_str(node, "protected"));
	p->protected_addr[strcspn(p->protected_addr, "/")] = '\0';
	p->probe = (struct spawn_proc){ .pid = -1, .fd = { -1, -1, -1 } };
	p->burst_fd = -1;
	p->silent_since = -1;
	p->ike_ids = json_array();
	p->child_ids = json_array();
	p->seen = json_object();
	ledger_init(&p->ledger, r->o.grace);
	if (state_proc_from_json(json_object_get(node, "charon"), &p->charon) < 0 ||
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
	if (r->o.share && state_inside_uml() && agent_share_dir(r->dir) < 0)
		return -1;
	path = xasprintf("%s/events.jsonl", r->dir);
	r->events = file_fopen(path, 0644, FILE_REPLACE);
	free(path);
	path = xasprintf("%s/timeline.csv", r->dir);
	r->timeline = r->events ? file_fopen(path, 0644, FILE_REPLACE) : NULL;
	free(path);
	path = xasprintf("%s/children.csv", r->dir);
	r->children = r->timeline ? file_fopen(path, 0644, FILE_REPLACE) : NULL;
	free(path);
	if (!r->events || !r->timeline || !r->children)
		return -1;
	fprintf(r->children, "t,peer,child,installed\n");
	fprintf(r->timeline,
		"t,peer,ike,ike_established,ike_connecting,ike_rekeying,ike_deleting,"
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
double rec_self_cpu_s(void)
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
	if (state_peek(&st, o->lab) < 0) {
		state_close(&st);
		free(r->dir);
		free(r);
		return NULL;
	}
	json_object_foreach (json_object_get(st.doc, "nodes"), name, node) {
		if (strcmp(jget_str(node, "role") ?: "", "peer"))
			continue;
		if (r->n == MAX_PEERS)
			break;
		if (r->n == 0) {
			r->charon_binary = json_incref(json_object_get(node, "charon_binary"));
			r->charon_build = json_incref(json_object_get(node, "charon_build"));
		}
		r->p[r->n].name = xstrdup(name);
		if (peer_open(r, &r->p[r->n++], node) < 0)
			goto fail;
	}
	state_close(&st);
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
	r->cpu0 = rec_self_cpu_s();
	rec_emit(r, NULL, "lab", "record-start",
		 json_pack("{s:s, s:f, s:f, s:s?, s:O}", "lab", o->lab, "duration", o->duration,
			   "rate_hz", o->rate, "charon_version", r->charon_version,
			   "charon_plugins", r->charon_plugins));
	return r;
fail:
	state_close(&st);
fail_open : {
	char saved[ERR_MSG_MAX];

	snprintf(saved, sizeof(saved), "%s", err_msg());
	rec_free(r);
	err_set("%s", saved);
}
	return NULL;
}

/* ---- the loop ---------------------------------------------------------------- */

long rec_self_rss_kb(void)
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
	r->rss_last = rec_self_rss_kb();
	if (!r->rss_first)
		r->rss_first = r->rss_last;
	if (r->rss_last > r->rss_max)
		r->rss_max = r->rss_last;
	/* CPU alongside: a cost that grows with the run's length shows here. */
	rec_emit(r, NULL, "lab", "recorder-rss",
		 json_pack("{s:i, s:f}", "kb", (int)r->rss_last, "cpu_s",
			   rec_self_cpu_s() - r->cpu0));
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
	printf(" acquires %d | lost %ld", r->p[0].acquires + (r->n > 1 ? r->p[1].acquires : 0),
	       lost);
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

			/* rec_on_vici drains everything the client read, so the
			 * socket being readable is the only signal needed. */
			if (!p->dead) {
				owner[n] = p, kind[n] = 0;
				pf[n++] = (struct pollfd){ vici_fd(p->ev), POLLIN, 0 };
			}
			owner[n] = p, kind[n] = 1;
			pf[n++] = (struct pollfd){ xfrmmon_fd(p->mon), POLLIN, 0 };
			if (p->probe.fd[STDOUT_FILENO] >= 0 && !p->probe_eof) {
				owner[n] = p, kind[n] = 2;
				pf[n++] = (struct pollfd){ p->probe.fd[STDOUT_FILENO], POLLIN, 0 };
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
				rec_on_vici(r, owner[i]);
			else if (kind[i] == 1 && xfrmmon_read(owner[i]->mon, rec_on_note, &nc) < 0)
				rec_emit(r, owner[i]->name, "kernel", "lost-notifications",
					 json_pack("{s:s}", "error", err_msg()));
			else if (kind[i] == 2)
				rec_on_probe(r, owner[i]);
		}
		if (pf[0].revents) {
			uint64_t ticks;

			if (read(r->timer, &ticks, sizeof(ticks)) == sizeof(ticks)) {
				if (ticks > 1)
					r->missed_ticks += (long)(ticks - 1);
				rec_sample_all(r);
			}
		}
		rec_flush_traffic(r, false);
		watch_rss(r);
		status_line(r);
	} while (mono_ns() < deadline && !r->failed);
	return 0;
}

/* ---- for scenario actions -------------------------------------------------- */

int rec_crashes(const struct recorder *r)
{
	return r->crashes;
}

struct rec_peer *rec_peer_named(struct recorder *r, const char *name)
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

void rec_unwatch(struct recorder *r, int fd)
{
	for (int i = 0; i < r->n_watch; i++)
		if (r->watch[i].fd == fd) {
			r->watch[i] = r->watch[--r->n_watch];
			i--;
		}
}

void rec_expect_exit(struct recorder *r, const char *peer)
{
	struct rec_peer *p = rec_peer_named(r, peer);

	if (p && !p->expect_exit) {
		p->expect_exit = true;
		p->expect_exit_t = rec_now(r);
	}
}

void rec_pause(struct recorder *r, const char *peer, bool paused)
{
	struct rec_peer *p = rec_peer_named(r, peer);

	if (!p)
		return;
	p->paused = paused;
	/* A charon the schedule signalled and then stopped: its time to exit
	 * runs from when it runs again. */
	if (!paused && p->expect_exit)
		p->expect_exit_t = rec_now(r);
}

int rec_reattach(struct recorder *r, const char *peer)
{
	struct rec_peer *p = rec_peer_named(r, peer);
	struct lab_state st;
	json_t *node;
	char *path;

	if (!p)
		return err_set("no peer named '%s'", peer);
	if (state_peek(&st, r->o.lab) < 0) {
		state_close(&st);
		return -1;
	}
	node = json_object_get(json_object_get(st.doc, "nodes"), peer);
	if (state_proc_from_json(json_object_get(node, "charon"), &p->charon) < 0) {
		state_close(&st);
		return err_set("lab '%s' has no charon recorded for %s", r->o.lab, peer);
	}
	state_close(&st);
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
	p->paused = false;
	p->expect_exit = false;
	p->silent_since = -1;
	dup_forget(&p->dup_ike);
	dup_forget(&p->dup_child);
	dup_forget(&p->dup_reqid);
	json_object_clear(p->seen);
	/* A new charon numbers its SAs from 1 again, and the old one's
	 * vanished without down events: the ledger starts over, seeded by
	 * the next sample. */
	ledger_free(&p->ledger);
	ledger_init(&p->ledger, r->o.grace);
	rec_emit(r, peer, "lab", "charon-start", json_pack("{s:i}", "pid", (int)p->charon.pid));
	return 0;
}

const json_t *rec_last_sas(const struct recorder *r, const char *peer)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->p[i].name, peer))
			return r->p[i].last_list;
	return NULL;
}
