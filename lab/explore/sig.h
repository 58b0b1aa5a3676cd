/*
 * sig.h - what one trial of `ikelab explore` found, reduced to a signature
 * that trials showing the same race share.
 *
 * A trial's run directory (summary.json, events.jsonl, each peer's
 * charon.log) is read beneath it: a user-mode Linux guest wrote it. The
 * finding is the run's first violated expectation (the earliest `at`;
 * violations within half a second of each other are one, the one whose
 * invariant comes first in sig_invariant_order, so that a duplicate
 * IKE_SA and the duplicate CHILD_SA it carries are one finding). A charon
 * that crashed ends its run as a lab error with no_crash violated: that is
 * a finding too. Its signature is four parts, each read from the run:
 *
 *   invariant  the short name of the violated invariant (gen.h)
 *   phase      the step of the SAs' lives the violation began in: what
 *              the ledger (events.jsonl) shows in the grace plus a second
 *              before it -- ike-rekey, child-rekey, reauth (an IKE_SA
 *              established beside one already up on that peer), establish
 *              (the first), expire, acquire; else the scheduled action
 *              right before it (action:kill, ...); else steady
 *   exchanges  the IKE exchanges whose requests the violating peer sent or
 *              received in the two seconds before it (IKE_SA_INIT,
 *              IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL with a payload),
 *              sorted; "-" for none
 *   markers    at most three charon log lines of that peer in the same
 *              window that say something went wrong (failed, unable,
 *              invalid, collision, retransmit, a notify error, ...),
 *              normalized: no time, thread, address, number, SPI or name,
 *              so that one race gives one text; sorted; "-" for none
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

#define SIG_MARKERS 3

struct finding {
	char *invariant;   /* short name, e.g. "dup-ike" */
	char *expectation; /* the violated key, e.g. "max_ike_per_peer" */
	char *phase;
	char *exchanges; /* "IKE_SA_INIT,IKE_AUTH" or "-" */
	char *markers[SIG_MARKERS];
	unsigned n_markers;
	char *peer;   /* the peer it showed on, or NULL */
	char *detail; /* the verdict's text */
	double at;    /* s into the run */
	char *signature;
	char id[9];
	json_t *also; /* names of the run's other violated expectations (owned) */
};

/* The finding of the run in RUN_DIR into *F (freed with finding_free):
 * 1 when there is one, 0 when the run violated nothing (or ended as a lab
 * error without a crash), -1 with err_msg() when summary.json cannot be
 * read. A missing events.jsonl or charon.log only leaves parts "-". */
int sig_of_run(const char *run_dir, struct finding *f);
void finding_free(struct finding *f);

/* The short invariant names in the order that breaks ties (static). */
extern const char *const sig_invariant_order[];

/* LINE (one charon.log line, its time and thread included) normalized as
 * a marker (allocated), or NULL when it marks nothing. */
char *sig_marker(const char *line);

/* The 8 hex digit id of a signature into ID. */
void sig_id(const char *signature, char id[9]);

#endif
