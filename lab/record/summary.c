/*
 * summary.c - finishing a recording: summary.json, the warning about
 * missed ticks, freeing, and `ikelab record` (see recorder-internal.h).
 */
#include "record/recorder-internal.h"
#include "backend/lab.h"
#include "base/err.h"
#include "base/json.h"
#include "charon/vici.h"
#include "kernel/net.h"
#include "kernel/xfrmmon.h"

#include <netlink/netlink.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* ---- finishing ---------------------------------------------------------------- */

/* Which SAs were left at the end (a rekey collision's survivors, say). */
static json_t *final_sas(const struct rec_peer *p)
{
	json_t *out = json_array(), *ike, *child;
	size_t i, k;

	json_array_foreach (p->last_list, i, ike) {
		json_t *children = json_array();

		json_array_foreach (json_object_get(ike, "child-sas"), k, child)
			json_array_append_new(children,
					      json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "id",
							json_object_get(child, "uniqueid"), "name",
							json_object_get(child, "name"), "state",
							json_object_get(child, "state"), "spi_in",
							json_object_get(child, "spi-in"), "spi_out",
							json_object_get(child, "spi-out")));
		json_array_append_new(out, json_pack("{s:O?, s:O?, s:O?, s:o}", "id",
						     json_object_get(ike, "uniqueid"), "state",
						     json_object_get(ike, "state"), "initiator",
						     json_object_get(ike, "initiator"), "children",
						     children));
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

/* The numbers of a peer that only grow while a run goes on: what lasted
 * longer than the grace period (rekey and reauth overlaps do not count,
 * stuck duplicates do) and the kernel's acquires. */
static json_t *peer_growing(const struct recorder *r, const struct rec_peer *p)
{
	double ike_since, child_since;
	int ike = sustained_max(p->ts, p->pair_series, p->n_series, r->o.grace, &ike_since);
	int child = sustained_max(p->ts, p->ts_series, p->n_series, r->o.grace, &child_since);
	double reqid_since, sa_since, pol_since;
	int reqid = sustained_max(p->ts, p->reqid_series, p->n_series, r->o.grace, &reqid_since);
	int sa_gap = sustained_max(p->ts, p->sa_gap_series, p->n_series, r->o.grace, &sa_since);
	int pol_gap =
		sustained_max(p->ts, p->policy_gap_series, p->n_series, r->o.grace, &pol_since);
	json_t *j;

	j = json_pack("{s:i, s:f, s:i, s:f, s:i, s:f, s:i, s:i}", "sustained_max_ike_per_pair", ike,
		      "sustained_max_ike_since", ike_since, "sustained_max_child_per_ts", child,
		      "sustained_max_child_since", child_since, "sustained_max_ts_per_reqid", reqid,
		      "sustained_max_ts_per_reqid_since", reqid_since, "acquires", p->acquires,
		      "acquires_during_rekey", p->acquires_in_rekey);
	json_object_update_new(j, json_pack("{s:i, s:f, s:i, s:f}", "sustained_max_missing_sas",
					    sa_gap, "sustained_max_missing_sas_since", sa_since,
					    "sustained_max_missing_policies", pol_gap,
					    "sustained_max_missing_policies_since", pol_since));
	return j;
}

static json_t *peer_summary(struct recorder *r, struct rec_peer *p)
{
	json_t *j =
		json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:O, s:O}", "max_ike",
			  p->max_ike, "max_ike_established", p->max_ike_est, "max_child_installed",
			  p->max_child_inst, "max_child_installed_per_ts", p->max_child_per_ts,
			  "expires_soft", p->expires_soft, "expires_hard", p->expires_hard,
			  "ike_rekeys", p->ike_rekeys, "child_rekeys", p->child_rekeys,
			  "ike_growth_per_hour", sustained_growth(r, p, p->ike_series),
			  "child_growth_per_hour", sustained_growth(r, p, p->child_series),
			  "ike_ids_seen", p->ike_ids, "child_ids_seen", p->child_ids);

	json_object_update_new(j, peer_growing(r, p));
	json_object_set_new(j, "final_sas", final_sas(p));
	json_object_set(j, "stats", p->stats ? p->stats : json_null());
	return j;
}

json_t *rec_so_far(const struct recorder *r)
{
	json_t *peers = json_object();

	for (int i = 0; i < r->n; i++)
		json_object_set_new(peers, r->p[i].name, peer_growing(r, &r->p[i]));
	return json_pack("{s:o, s:{s:i, s:O}}", "peers", peers, "ledger", "mismatches",
			 (int)json_array_size(r->mismatches), "details", r->mismatches);
}

void rec_ended_early(struct recorder *r, json_t *why)
{
	json_decref(r->ended_early);
	r->ended_early = why;
}

int rec_samples(const struct recorder *r)
{
	return r->samples;
}

/* What a run directory keeps of the build it ran (null for a charon that
 * is not ikelab's build: Debian's, or a binary of the user's). */
static json_t *charon_build_summary(const json_t *b)
{
	if (!json_is_object(b))
		return json_null();
	return json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "version",
			 json_object_get(b, "version"), "commit", json_object_get(b, "commit"),
			 "key", json_object_get(b, "key"), "source", json_object_get(b, "source"),
			 "patched", json_object_get(b, "patched"), "ref",
			 json_object_get(b, "ref"));
}

static int write_summary(struct recorder *r, bool interrupted)
{
	json_t *s = json_object(), *peers = json_object(), *traffic = json_object();
	char *path, wall[64];
	double t = rec_now(r);
	int rc;

	for (int i = 0; i < r->n; i++) {
		struct rec_peer *p = &r->p[i];

		rec_note_duplicate(r, p, "ike", dup_finish(&p->dup_ike, t, r->o.grace));
		rec_note_duplicate(r, p, "child", dup_finish(&p->dup_child, t, r->o.grace));
		rec_note_duplicate(r, p, "reqid", dup_finish(&p->dup_reqid, t, r->o.grace));
		json_object_set_new(peers, p->name, peer_summary(r, p));
	}
	rec_finish_traffic(r, traffic);
	rec_wall_iso(wall, sizeof(wall));
	json_object_set_new(s, "lab", json_string(r->o.lab));
	json_object_set_new(s, "duration_s", json_real(t));
	json_object_set_new(s, "rate_hz", json_real(r->o.rate));
	json_object_set_new(s, "grace_s", json_real(r->o.grace));
	json_object_set_new(s, "ended_wall", json_string(wall));
	json_object_set_new(s, "charon_version",
			    r->charon_version ? json_string(r->charon_version) : json_null());
	json_object_set(s, "charon_plugins", r->charon_plugins);
	json_object_set_new(s, "charon_binary", json_copy(r->charon_binary ?: json_null()));
	json_object_set_new(s, "charon_commit",
			    json_copy(json_object_get(r->charon_build, "commit") ?: json_null()));
	json_object_set_new(s, "charon_build", charon_build_summary(r->charon_build));
	json_object_set_new(s, "verdict", json_string(r->failed ? "lab-error" : "ok"));
	json_object_set_new(s, "lab_error", r->failure ? json_string(r->failure) : json_null());
	json_object_set_new(s, "interrupted", json_boolean(interrupted));
	json_object_set(s, "ended_early", r->ended_early ?: json_null());
	json_object_set_new(s, "recorder_cpu_s", json_real(rec_self_cpu_s() - r->cpu0));
	json_object_set_new(s, "recorder_rss_kb",
			    json_pack("{s:i, s:i, s:i}", "first", (int)r->rss_first, "max",
				      (int)r->rss_max, "last", (int)rec_self_rss_kb()));
	json_object_set_new(s, "crashes", json_integer(r->crashes));
	json_object_set_new(s, "samples", json_integer(r->samples));
	json_object_set_new(s, "max_sample_gap_s", json_real(r->max_gap));
	json_object_set_new(s, "missed_ticks", json_integer(r->missed_ticks));
	json_object_set_new(s, "slowest_sample_s", json_real(r->slowest_sample));
	json_object_set_new(s, "peers", peers);
	json_object_set(s, "duplicates", r->duplicates);
	json_object_set_new(s, "traffic", traffic);
	json_object_set_new(s, "ledger",
			    json_pack("{s:i, s:O}", "mismatches",
				      (int)json_array_size(r->mismatches), "details",
				      r->mismatches));
	path = xasprintf("%s/summary.json", r->dir);
	rc = json_write(path, s);
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
		fprintf(stderr,
			"ikelab: warning: lab '%s': %ld of %.0f sampling ticks at %g Hz "
			"passed without a sample (longest gap %.3f s), so %s/timeline.csv may miss "
			"counts shorter than that; %s %.3f s%s\n",
			r->o.lab, r->missed_ticks, due, r->o.rate, r->max_gap, r->dir,
			charon ? "one sample (charon's list-sas, the kernel's dumps) took up to"
			       : "the machine did not run the recorder on time, a sample took at "
				 "most",
			r->slowest_sample,
			r->slowest_sample * r->o.rate > 1
				? ", longer than a tick: record at a lower --rate"
			: charon ? ""
				 : ": record on a less busy machine");
}

int rec_finish(struct recorder *r, bool interrupted)
{
	rec_stop_probes(r);
	/* One last look, so the summary ends on the final state. */
	if (!r->failed)
		rec_sample_all(r);
	if (write_summary(r, interrupted) < 0)
		return -1;
	rec_emit(r, NULL, "lab", "record-end",
		 json_pack("{s:s, s:s?}", "verdict", r->failed ? "lab-error" : "ok", "reason",
			   r->failure));
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

		spawn_proc_free(&p->probe);
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
		dup_free(&p->dup_reqid);
		ledger_free(&p->ledger);
		free(p->ts);
		free(p->ike_series);
		free(p->child_series);
		json_decref(p->ike_ids);
		json_decref(p->child_ids);
		json_decref(p->seen);
		json_decref(p->last_list);
		json_decref(p->stats);
		free(p->pair_series);
		free(p->ts_series);
		free(p->reqid_series);
		free(p->sa_gap_series);
		free(p->policy_gap_series);
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
	if (r->children)
		fclose(r->children);
	if (r->traffic)
		fclose(r->traffic);
	if (r->timer >= 0)
		close(r->timer);
	json_decref(r->duplicates);
	json_decref(r->mismatches);
	json_decref(r->charon_plugins);
	json_decref(r->charon_binary);
	json_decref(r->charon_build);
	json_decref(r->ended_early);
	free(r->failure);
	free(r->charon_version);
	free(r->dir);
	free(r);
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
