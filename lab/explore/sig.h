/*
 * sig.h - what one trial of `ikelab explore` found, reduced to a signature
 * that trials showing the same race share.
 *
 * A trial's run directory (summary.json, events.jsonl, each peer's
 * charon.log) is read beneath it: a user-mode Linux guest wrote it. Its
 * findings are the moments something was violated: each violated
 * expectation at its `at`, except that duplicates count once per episode
 * (summary.json's "duplicates": every stretch past the grace, where the
 * expectation holds only the first), each where its duplicates began (its
 * "since": a duplicate rekeyed within the grace dips below two for a
 * moment, and the stretch after the dip began with the race), so that a
 * uniqueness race at the start does not hide an accumulation of IKE_SAs
 * at a reauthentication later. Moments within half a second of each other are one finding,
 * named by the invariant that comes first in sig_invariant_order (a
 * duplicate IKE_SA and the duplicate CHILD_SA it carries are one). A
 * charon that crashed ends its run as a lab error with no_crash violated:
 * that is a finding too. A finding's signature is four parts:
 *
 *   invariant  the short name of the violated invariant (gen.h)
 *   phase      the step of the SAs' lives the violation began in: what
 *              the ledger (events.jsonl) shows in the grace plus a second
 *              before it (duplicates: the second before they began) --
 *              ike-rekey, child-rekey, reauth (an IKE_SA
 *              established beside one that was up before the window),
 *              establish (the first, or two at once), expire, acquire;
 *              else the scheduled action right before it (action:kill,
 *              ...); else steady
 *   exchange   the IKE exchange under way: of the requests the violating
 *              peer sent or received in the phase's window up to it, the
 *              last that is not an INFORMATIONAL (deletes and DPDs come and
 *              go with timing); "-" for none. The finding lists all of
 *              them (exchanges)
 *   markers    the charon log lines of that peer in the same window that
 *              name a collision or an IKE notify (sig_marker_keyed) --
 *              for duplicates the other peers' too (an end that destroys
 *              an IKE_SA on an INITIAL_CONTACT leaves the duplicate on the
 *              other end, whose log says nothing of it) --, normalized -- no time, thread, address, number, SPI or
 *              name -- so that one race gives one text; "-" for none. The
 *              finding lists up to three trouble lines (failed, unable,
 *              retransmit, ...), keyed or not
 *
 * joined by " | ". The group id is the first 8 hex digits of the
 * signature's FNV-1a hash. charon.log lines are matched to the ledger's
 * times through the ledger's wall clock; a log written in another time
 * zone is brought to it by the offset, in whole quarter hours, between the
 * first "IKE_SA ... established" line and the first ike-updown event.
 */
#ifndef IKELAB_EXPLORE_SIG_H
#define IKELAB_EXPLORE_SIG_H

#include <jansson.h>
#include <stdbool.h>

#define SIG_MARKERS 3

struct finding {
	char *invariant;   /* short name, e.g. "dup-ike" */
	char *expectation; /* the violated key, e.g. "max_ike_per_peer" */
	char *phase;
	char *exchanges; /* "IKE_SA_INIT,IKE_AUTH" or "-" */
	char *exchange;  /* the signature's: the last of them but INFORMATIONAL, or "-" */
	char *markers[SIG_MARKERS];
	unsigned n_markers;
	char *peer;   /* the peer it showed on, or NULL */
	char *detail; /* the verdict's text */
	double at;    /* s into the run */
	char *signature;
	char id[9];
	json_t *also; /* names of the run's other violated expectations (owned) */
};

/* The findings of the run in RUN_DIR, in time, into *OUT (an array of
 * *N, freed with findings_free; NULL and 0 when there are none): the
 * count, or -1 with err_msg() when summary.json cannot be read. A missing
 * events.jsonl or charon.log only leaves parts "-". */
int sig_of_run(const char *run_dir, struct finding **out, unsigned *n);
void findings_free(struct finding *f, unsigned n);
void finding_free(struct finding *f);

/* The short invariant names in the order that breaks ties (static). */
extern const char *const sig_invariant_order[];

/* LINE (one charon.log line, its time and thread included) normalized as
 * a marker (allocated), or NULL when it marks nothing. */
char *sig_marker(const char *line);

/* Whether a marker is part of the signature: it names a collision or an
 * IKE notify or task (an upper-case word with '_', such as
 * TEMPORARY_FAILURE, that is not an exchange's or an SA's name). Other
 * markers -- retransmits, a failed XFRM interface, a duplicate CHILD_SA
 * not established -- come and go with timing and the host; they are
 * reported with the group but do not split it. */
bool sig_marker_keyed(const char *marker);

/* The 8 hex digit id of a signature into ID. */
void sig_id(const char *signature, char id[9]);

#endif
