/*
 * receiver.c - ikelab-probe's receiving half: each datagram classified by
 * its sequence number (new, duplicate, reordered, stale, another run) and
 * counted in the interval of its send time; gaps that stay gaps for the
 * grace period reported as loss (see probe.h).
 */
#include "probe.h"
#include "cli.h"
#include "base/err.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- receiver: seqs ---- */

static bool seen_test_set(uint64_t *seen, uint64_t seq)
{
	uint64_t bit = seq % WIN_BITS, mask = 1ULL << (bit % 64);
	bool was = seen[bit / 64] & mask;

	seen[bit / 64] |= mask;
	return was;
}

/* The window moves from (.., from] to (.., to]: forget what the slots of
 * seqs from+1..to held, a whole word at a time where possible. Counted
 * from `from`, so that a seq near 2^64 from the network cannot make the
 * loop wrap around and never end. */
static void seen_advance(uint64_t *seen, uint64_t from, uint64_t to)
{
	uint64_t seq, bit;

	if (to - from >= WIN_BITS) {
		memset(seen, 0, WIN_BITS / 8);
		return;
	}
	for (seq = from + 1; seq - from <= to - from; seq++) {
		bit = seq % WIN_BITS;
		if (bit % 64 == 0 && to - seq >= 63) {
			seen[bit / 64] = 0;
			seq += 63;
		} else {
			seen[bit / 64] &= ~(1ULL << (bit % 64));
		}
	}
}

static void gap_emit(struct receiver *r, const struct gap *g)
{
	uint64_t n = g->last - g->first + 1;

	r->lost_total += n;
	emit("{\"type\":\"loss\",\"start_ns\":%" PRId64 ",\"end_ns\":%" PRId64
	     ",\"packets\":%" PRIu64 ",\"first_seq\":%" PRIu64 ",\"last_seq\":%" PRIu64 "}",
	     g->start_ns, g->end_ns, n, g->first, g->last);
}

/* Open a slot at absolute index `at`, compacting the consumed head first
 * when that makes room. Returns where the slot ended up. */
static size_t gap_open(struct receiver *r, size_t at)
{
	size_t live = r->ngaps - r->gap_head;

	if (r->ngaps == r->gap_cap && r->gap_head) {
		memmove(r->gaps, r->gaps + r->gap_head, live * sizeof(*r->gaps));
		at -= r->gap_head;
		r->ngaps = live;
		r->gap_head = 0;
	}
	if (r->ngaps == r->gap_cap) {
		r->gap_cap = r->gap_cap ? r->gap_cap * 2 : 64;
		r->gaps = xrealloc(r->gaps, r->gap_cap * sizeof(*r->gaps));
	}
	memmove(r->gaps + at + 1, r->gaps + at, (r->ngaps - at) * sizeof(*r->gaps));
	r->ngaps++;
	return at;
}

static void gap_add(struct receiver *r, uint64_t first, uint64_t last, int64_t start_ns,
		    int64_t end_ns)
{
	size_t at = gap_open(r, r->ngaps);

	r->gaps[at] = (struct gap){ first, last, start_ns, end_ns };
}

/* A packet that was missing arrived after all: shrink or split its gap. */
static void gap_fill(struct receiver *r, uint64_t seq, int64_t sent)
{
	size_t lo = r->gap_head, hi = r->ngaps, mid;
	struct gap *g;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->gaps[mid].last < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == r->ngaps || r->gaps[lo].first > seq)
		return;
	g = &r->gaps[lo];
	if (g->first == g->last) {
		memmove(g, g + 1, (r->ngaps - lo - 1) * sizeof(*g));
		r->ngaps--;
	} else if (seq == g->first) {
		g->first++;
		g->start_ns = sent;
	} else if (seq == g->last) {
		g->last--;
		g->end_ns = sent;
	} else {
		/* gap_open may move the array and the gap in it. */
		lo = gap_open(r, lo + 1) - 1;
		g = &r->gaps[lo];
		g[1] = (struct gap){ seq + 1, g->last, sent, g->end_ns };
		g->last = seq - 1;
		g->end_ns = sent;
	}
}

/* Gaps are ordered by seq, and so by end time: report from the head. */
static void gaps_final(struct receiver *r, int64_t now, bool all)
{
	while (r->gap_head < r->ngaps &&
	       (all || now - r->gaps[r->gap_head].end_ns >= r->o->grace_ns))
		gap_emit(r, &r->gaps[r->gap_head++]);
	if (r->gap_head == r->ngaps)
		r->gap_head = r->ngaps = 0;
}

static enum seq_kind seq_track(struct receiver *r, uint64_t seq, int64_t sent)
{
	if (seq > r->highest) {
		if (seq > r->highest + 1)
			gap_add(r, r->highest + 1, seq - 1,
				r->highest ? r->highest_ns
					   : (r->run_epoch < sent ? r->run_epoch : sent),
				sent);
		seen_advance(r->seen, r->highest, seq);
		seen_test_set(r->seen, seq);
		r->highest = seq;
		r->highest_ns = sent;
		return SEQ_NEW;
	}
	/* Older than the window: no telling a duplicate; it may fill a gap. */
	if (r->highest - seq >= WIN_BITS) {
		gap_fill(r, seq, sent);
		return SEQ_REORDER;
	}
	if (seen_test_set(r->seen, seq))
		return SEQ_DUP;
	gap_fill(r, seq, sent);
	return SEQ_REORDER;
}

/* A new sender: what is missing of the old one will not come any more. */
static void run_reset(struct receiver *r, uint64_t run, int64_t now)
{
	gaps_final(r, now, true);
	emit("{\"type\":\"reset\",\"run_id\":\"%016" PRIx64 "\",\"prev_run_id\":\"%016" PRIx64
	     "\",\"prev_highest_seq_rx\":%" PRIu64 "}",
	     run, r->run_id, r->highest);
	r->prev_run_id = r->run_id;
	r->run_id = run;
	r->run_epoch = r->highest_ns;
	r->highest = 0;
	memset(r->seen, 0, WIN_BITS / 8);
}

static enum seq_kind seq_classify(struct receiver *r, uint64_t run, uint64_t seq, int64_t sent,
				  int64_t now)
{
	if (run == r->prev_run_id && r->prev_run_id)
		return SEQ_STALE;
	if (r->run_id == 0)
		r->run_id = run;
	else if (run != r->run_id)
		run_reset(r, run, now);
	return seq_track(r, seq, sent);
}

/* ---- receiver: intervals ---- */

static void rx_emit(struct receiver *r, int64_t idx)
{
	struct rx_bucket *b = &r->ring[idx % r->nring];

	emit("{\"type\":\"rx\",\"start_ns\":%" PRId64 ",\"rx\":%" PRIu64 ",\"dup\":%" PRIu64
	     ",\"reorder\":%" PRIu64 ",\"late\":%" PRIu64 "}",
	     idx * r->o->interval_ns, b->rx, b->dup, b->reorder, b->late);
	*b = (struct rx_bucket){ 0 };
}

/* Report intervals once they are older than the grace period, or, at the
 * end, every interval up to now. */
static void rx_roll(struct receiver *r, int64_t now, bool all)
{
	int64_t ivl = r->o->interval_ns;

	while (all ? r->next_report <= now / ivl
		   : (r->next_report + 1) * ivl + r->o->grace_ns <= now)
		rx_emit(r, r->next_report++);
}

/* The bucket a packet counts in: its send interval, or the current one if
 * that was reported already. rx_roll(now) has run, so the unreported
 * intervals up to now fit in the ring. */
static struct rx_bucket *rx_bucket(struct receiver *r, int64_t sent, int64_t now, bool *late)
{
	int64_t cur = now / r->o->interval_ns;
	int64_t idx = sent / r->o->interval_ns;

	if (idx > cur)
		idx = cur;
	*late = sent < 0 || idx < r->next_report;
	return &r->ring[(*late ? cur : idx) % r->nring];
}

static void rx_packet(struct receiver *r, const unsigned char *p, size_t len, int64_t now)
{
	struct rx_bucket *b;
	enum seq_kind kind;
	uint64_t seq;
	int64_t sent;
	bool late;

	if (len < HDR_LEN || memcmp(p, MAGIC, 4) != 0 || p[4] != VERSION)
		return;
	seq = get_be64(p + 8);
	sent = (int64_t)get_be64(p + 16);
	/* Both probes read one kernel's clock: a send time before boot or
	 * far after now is not from a probe, and would overflow the
	 * arithmetic on times here and in the recorder (loss lines carry
	 * it). A little after now is allowed: the tests' scripted senders
	 * stamp planned times and send some a few ms early. */
	if (seq == 0 || sent < 0 || sent > now + FUTURE_NS)
		return;
	r->rx_total++;
	b = rx_bucket(r, sent, now, &late);
	if (late) {
		b->late++;
		r->late_total++;
	} else {
		b->rx++;
	}
	kind = seq_classify(r, get_be64(p + 24), seq, sent, now);
	if (kind == SEQ_DUP) {
		b->dup++;
		r->dup_total++;
	} else if (kind == SEQ_REORDER) {
		b->reorder++;
		r->reorder_total++;
	}
}

void receiver_init(struct receiver *r, int fd, const struct opts *o, int64_t epoch)
{
	unsigned i;

	r->fd = fd;
	r->o = o;
	r->nring = o->grace_ns / o->interval_ns + 3;
	r->ring = xcalloc((size_t)r->nring, sizeof(*r->ring));
	r->next_report = epoch / o->interval_ns;
	r->run_epoch = epoch;
	r->seen = xcalloc(WIN_BITS / 64, sizeof(*r->seen));
	for (i = 0; i < BATCH; i++) {
		r->iov[i] = (struct iovec){ r->bufs[i], HDR_LEN };
		r->msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &r->iov[i], .msg_iovlen = 1 };
	}
}

void *receiver_main(void *arg)
{
	struct receiver *r = arg;
	int64_t now, deadline;
	int i, n;

	for (;;) {
		n = recvmmsg(r->fd, r->msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			err_sys("recvmmsg on %s port %u", r->o->local, r->o->port);
			cli_die();
		}
		now = mono_ns();
		rx_roll(r, now, false);
		for (i = 0; i < n; i++)
			rx_packet(r, r->bufs[i], r->msgs[i].msg_len, now);
		gaps_final(r, now, false);
		deadline = atomic_load(&r->deadline);
		if (deadline && now >= deadline)
			break;
	}
	gaps_final(r, now, true);
	rx_roll(r, now, true);
	return NULL;
}
