/*
 * bisect.h - `ikelab bisect`: the strongSwan commit that introduced a race,
 * or (--fixed) the one that fixed it.
 *
 * The design. git does the walking: a bare clone of the source's history
 * that shares its objects (`git clone --bare --shared`) lives in the
 * bisect directory, and `git bisect start --no-checkout` there picks each
 * commit to test, merges and skipped commits included, as it would for a
 * person. ikelab only judges a commit: it builds its charon (charon/build.h,
 * cached, incremental after the previous step) and runs the scenario on it
 * with `ikelab run`, one seed at a time.
 *
 * The rule. The bug shows in a run when the verdict says so: "reproduced"
 * for a scenario that expects to reproduce it, "fail" for one that expects
 * a clean run. A commit is bad when the bug shows in at least one of N
 * runs (N = --seeds, 5 unless told) -- its runs stop at the first that
 * shows it -- and good only when it shows in none of N. A commit whose
 * charon does not build (autogen, configure or make fails) is skipped, as
 * is one whose labs fail in more runs than the spare ones (lab errors are
 * not verdicts). Both ends are judged first with all N runs, and the bisect
 * refuses to start when the bad end shows nothing or the good end shows
 * the bug. From the rate p seen at the bad end, a good verdict on a bad
 * commit is luck with probability (1-p)^N; the report gives that chance
 * for one step and for all the good steps together, with p at its 95 %
 * Wilson lower bound as well, since N runs measure p only roughly.
 *
 * --good and --bad always mean "the bug does not show" and "it shows". A
 * regression's good end is the older commit; with --fixed the bad end is
 * the older, and the first good commit after it is the fix. The ancestry
 * is checked: an older end that is not an ancestor of the newer one is
 * refused, since then there is no history between them to walk.
 *
 * The bisect directory (--out) holds bisect.json -- what was asked, each
 * judged commit with its runs, and at the end the answer -- written after
 * every commit, each commit's runs under steps/SHORT-ID/seed-N/, and
 * report.txt. Interrupted and started again with the same arguments and
 * --out, a bisect replays the verdicts it has into a fresh `git bisect`
 * and goes on with the first commit it has not judged; a directory that
 * holds another bisect is refused.
 */
#ifndef IKELAB_BISECT_H
#define IKELAB_BISECT_H

#include <stdbool.h>

struct bisect_opts {
	const char *scenario; /* the scenario file */
	const char *good;     /* a ref where the bug does not show */
	const char *bad;      /* a ref where it shows */
	bool fixed;           /* look for the fix: bad is the older end */
	unsigned seeds;       /* N */
	const char *out;      /* the bisect directory, made by the caller */
	const char *source;   /* --source, or NULL (charon/build.h) */
	const char *kernel;   /* --kernel for every run, or NULL */
};

/* 0 when the bisect found its commit (or the range of skipped commits it
 * must be among), 1 when the ends do not behave as claimed or it was
 * interrupted (resumable), -1 with err_msg() when it could not run. */
int bisect_main(const struct bisect_opts *o);

/* The chance that n runs of a commit whose runs show the bug with
 * probability p all miss it: (1-p)^n. */
double bisect_luck(double p, unsigned n);
/* The lower end of the 95 % Wilson interval of k successes in n. */
double bisect_wilson_low(unsigned k, unsigned n);

#endif
