#include "kernel/wire.h"
#include "kernel/wire-internal.h"
#include "base/err.h"
#include "kernel/net.h"
#include "kernel/netns.h"
#include "base/spawn.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netfilter/queue.h>
#include <netlink/netfilter/queue_msg.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Held packets count against it; beyond it the kernel accepts (fail-open). */
#define WIRE_QUEUE_MAXLEN 4096
/* Whole packets: a duplicate re-sends the entire datagram. */
#define WIRE_COPY_RANGE 0xffff
/* Thousands of IKE-sized messages (a hundred of 64 KiB) before the
 * socket overflows, which fails open too. */
#define WIRE_RCVBUF (8 << 20)
/* One netlink datagram: one packet message with its attributes. */
#define WIRE_BUF (1 << 17)
/* Datagrams per wire_handle(): the caller's loop stays responsive. */
#define WIRE_BATCH 256

/* A message kept for later: delayed (due_ns set) or held (due_ns -1). */
struct pending {
	struct nfnl_queue_msg *msg;
	unsigned rule;
	uint32_t nth;
	int64_t caught_ns, due_ns;
	struct ike_info ike;
	struct pending *next;
};

struct wire {
	struct nl_sock *sk;
	int nsfd;
	int rawfd, rawfd6; /* duplicates leave through them; -1 if unused */
	bool ipv6;         /* a rule and a raw socket for IPv6 too */
	char *router;
	uint16_t queue;
	bool rule_added;
	bool closing;
	struct wire_rule *rules;
	struct wire_counters *counters;
	struct {
		uint8_t *buf; /* the last message a capture rule took */
		size_t len;
	} * captured;
	unsigned nrules;
	struct pending *kept; /* arrival order */
	wire_event_cb cb;
	void *ctx;
	struct wire_stats stats;
	uint8_t *buf;
};

/* Every message from here names the router and the queue. */
static int wire_err(const struct wire *w)
{
	return err_wrap("wire on router %s (queue %u)", w->router, w->queue);
}

static const char *hold_name(const struct wire_rule *r)
{
	return r->hold ? r->hold : r->name;
}

/*
 * iptables-legacy (and ip6tables-legacy) OP FORWARD ... in the router's
 * namespace. It waits at most
 * IPTABLES_LOCK_S for the xtables lock another program holds, and the
 * whole call has a deadline; what it says becomes the error message.
 */
#define IPTABLES_LOCK_S "5"
#define IPTABLES_TIMEOUT_MS 15000

static int iptables_one(const struct wire *w, const char *prog, const char *op)
{
	struct spawn_opts o = { .io = { SPAWN_NULL, SPAWN_CAPTURE, SPAWN_TO_OUT },
				.enter_netns = true,
				.netns_fd = w->nsfd,
				.search_path = true };
	struct argv a = { 0 };
	int r;

	argv_addv(&a, (char *const[]){ (char *)prog, "-w", IPTABLES_LOCK_S, (char *)op, "FORWARD",
				       "-p", "udp", "-m", "multiport", "--ports", "500,4500", "-j",
				       "NFQUEUE", "--queue-num", NULL });
	argv_addf(&a, "%u", w->queue);
	argv_add(&a, "--queue-bypass");
	r = spawn_run(a.v, &o, IPTABLES_TIMEOUT_MS, NULL, NULL);
	argv_free(&a);
	if (r < 0 && strstr(err_msg(), "not found in PATH"))
		return err_wrap("the fault wire needs %s (Debian package iptables)", prog);
	if (r < 0)
		return err_wrap("%s %s FORWARD -p udp -m multiport --ports 500,4500 -j "
				"NFQUEUE --queue-num %u --queue-bypass in router %s",
				prog, op, w->queue, w->router);
	return 0;
}

/* The rule for IPv4, and with ipv6 the same for IPv6. Removal tries both
 * and reports the first failure. */
static int iptables(const struct wire *w, const char *op)
{
	bool add = !strcmp(op, "-A");
	int r = iptables_one(w, "iptables-legacy", op);
	struct err_saved saved;

	if (!w->ipv6 || (add && r < 0))
		return r;
	if (r < 0)
		err_save(&saved);
	if (iptables_one(w, "ip6tables-legacy", op) < 0) {
		/* An IPv4 rule without its IPv6 twin goes again: the caller
		 * sees no rule added, and a lab outlives its runs. */
		if (add) {
			err_save(&saved);
			iptables_one(w, "iptables-legacy", "-D");
			err_restore(&saved);
		}
		return -1;
	}
	if (r < 0)
		err_restore(&saved);
	return r;
}

/* One config message: bind, copy whole packets, limit the queue, fail open.
 * libnl has no call for the flags, so they go onto its bind request. */
static int queue_bind(struct wire *w)
{
	struct nfnl_queue *q = nfnl_queue_alloc();
	struct nl_msg *msg;
	int r;

	if (!q)
		return err_set("nfnl_queue_alloc failed");
	nfnl_queue_set_group(q, w->queue);
	nfnl_queue_set_copy_mode(q, NFNL_QUEUE_COPY_PACKET);
	nfnl_queue_set_copy_range(q, WIRE_COPY_RANGE);
	nfnl_queue_set_maxlen(q, WIRE_QUEUE_MAXLEN);
	r = nfnl_queue_build_create_request(q, &msg);
	nfnl_queue_put(q);
	if (r < 0)
		return err_set("build the queue bind request: %s", nl_geterror(r));
	if (nla_put_u32(msg, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_FAIL_OPEN)) < 0 ||
	    nla_put_u32(msg, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN)) < 0) {
		nlmsg_free(msg);
		return err_set("build the queue bind request: message too small");
	}
	r = nl_send_sync(w->sk, msg);
	if (r == -NLE_BUSY || r == -NLE_PERM)
		return err_set("bind: %s (the queue is bound by another process)", nl_geterror(r));
	if (r < 0)
		return err_set("bind (nfnetlink_queue loaded?): %s", nl_geterror(r));
	return 0;
}

static int sock_setup(struct wire *w)
{
	int fd, size = WIRE_RCVBUF;

	w->sk = net_sock_in(w->nsfd, NETLINK_NETFILTER);
	if (!w->sk)
		return -1;
	fd = nl_socket_get_fd(w->sk);
	/* FORCE: past net.core.rmem_max, which is small by default. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		return err_sys("setsockopt(SO_RCVBUFFORCE, %d)", size);
	if (queue_bind(w) < 0)
		return -1;
	/* Verdicts go out unacknowledged; the kernel answers only errors,
	 * which wire_handle() reads with the packets. */
	nl_socket_disable_auto_ack(w->sk);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return err_sys("fcntl(O_NONBLOCK) on the queue socket");
	return 0;
}

static int raw_socket(struct wire *w, int af, int *fd)
{
	struct netns_switch sw;
	int saved;

	if (netns_enter(&sw, w->nsfd) < 0)
		return -1;
	/* For AF_INET6, IPPROTO_RAW means the header is ours too. */
	*fd = socket(af, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	saved = errno;
	if (netns_leave(&sw) < 0)
		return -1;
	errno = saved;
	if (*fd < 0)
		return err_sys("socket(%s, SOCK_RAW, IPPROTO_RAW) for duplicates",
			       af == AF_INET ? "AF_INET" : "AF_INET6");
	return 0;
}

static int raw_setup(struct wire *w)
{
	if (raw_socket(w, AF_INET, &w->rawfd) < 0)
		return -1;
	return w->ipv6 ? raw_socket(w, AF_INET6, &w->rawfd6) : 0;
}

static int rules_check(const struct wire_rule *rules, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct wire_rule *r = &rules[i];

		if (!r->name || !r->name[0])
			return err_set("rule %u has no name", i + 1);
		if (!strcmp(wire_action_name(r->action), "?"))
			return err_set("rule %s: unknown action %d", r->name, (int)r->action);
		if (r->exchange != WIRE_ANY && (r->exchange < 0 || r->exchange > 255))
			return err_set("rule %s: exchange type %d out of range", r->name,
				       r->exchange);
		if (r->response != WIRE_ANY && r->response != 0 && r->response != 1)
			return err_set("rule %s: response must be 0, 1 or WIRE_ANY", r->name);
		if (r->message_id != WIRE_ANY && (r->message_id < 0 || r->message_id > UINT32_MAX))
			return err_set("rule %s: message id %lld out of range", r->name,
				       (long long)r->message_id);
	}
	return 0;
}

static void rules_copy(struct wire *w, const struct wire_rule *rules, unsigned n)
{
	w->rules = xcalloc(n ? n : 1, sizeof(*w->rules));
	w->counters = xcalloc(n ? n : 1, sizeof(*w->counters));
	w->captured = xcalloc(n ? n : 1, sizeof(*w->captured));
	w->nrules = n;
	for (unsigned i = 0; i < n; i++) {
		w->rules[i] = rules[i];
		w->rules[i].name = xstrdup(rules[i].name);
		w->rules[i].hold = rules[i].hold ? xstrdup(rules[i].hold) : NULL;
	}
}

static bool any_duplicate(const struct wire *w)
{
	for (unsigned i = 0; i < w->nrules; i++)
		if (w->rules[i].action == WIRE_DUPLICATE)
			return true;
	return false;
}

static void wire_free(struct wire *w)
{
	struct pending *p, *next;

	for (p = w->kept; p; p = next) {
		next = p->next;
		nfnl_queue_msg_put(p->msg);
		free(p);
	}
	for (unsigned i = 0; i < w->nrules; i++) {
		free((char *)w->rules[i].name);
		free((char *)w->rules[i].hold);
	}
	net_sock_free(w->sk);
	if (w->rawfd >= 0)
		close(w->rawfd);
	if (w->rawfd6 >= 0)
		close(w->rawfd6);
	if (w->nsfd >= 0)
		close(w->nsfd);
	for (unsigned i = 0; i < w->nrules; i++)
		free(w->captured[i].buf);
	free(w->captured);
	free(w->rules);
	free(w->counters);
	free(w->router);
	free(w->buf);
	free(w);
}

struct wire *wire_open(int router_nsfd, const char *router_name, uint16_t queue_num, bool ipv6,
		       const struct wire_rule *rules, unsigned n, wire_event_cb cb, void *ctx)
{
	struct wire *w = xcalloc(1, sizeof(*w));

	w->router = xstrdup(router_name);
	w->queue = queue_num;
	w->cb = cb;
	w->ctx = ctx;
	w->rawfd = w->rawfd6 = -1;
	w->ipv6 = ipv6;
	w->nsfd = fcntl(router_nsfd, F_DUPFD_CLOEXEC, 0);
	if (w->nsfd < 0) {
		err_sys("dup the namespace descriptor");
		goto fail;
	}
	if (rules_check(rules, n) < 0)
		goto fail;
	rules_copy(w, rules, n);
	w->buf = xmalloc(WIRE_BUF);
	if (sock_setup(w) < 0 || (any_duplicate(w) && raw_setup(w) < 0))
		goto fail;
	/* Last: from here on packets wait for us. */
	if (iptables(w, "-A") < 0)
		goto fail;
	w->rule_added = true;
	return w;
fail:
	wire_err(w);
	wire_free(w);
	return NULL;
}

int wire_fd(const struct wire *w)
{
	return nl_socket_get_fd(w->sk);
}

static int verdict(struct wire *w, struct nfnl_queue_msg *msg, unsigned v)
{
	int r;

	nfnl_queue_msg_set_verdict(msg, v);
	r = nfnl_queue_msg_send_verdict(w->sk, msg);
	if (r < 0)
		return err_set("verdict %s for packet %u: %s", v == NF_ACCEPT ? "accept" : "drop",
			       nfnl_queue_msg_get_packetid(msg), nl_geterror(r));
	return 0;
}

static void report(struct wire *w, unsigned rule, uint32_t nth, const struct ike_info *ike,
		   bool released, int64_t kept_ns)
{
	struct wire_event ev = {
		.mono_ns = mono_ns(),
		.wall_ns = wall_ns(),
		.rule = w->rules[rule].name,
		.action = w->rules[rule].action,
		.released = released,
		.kept_ns = kept_ns,
		.nth = nth,
		.ike = *ike,
	};

	if (w->cb)
		w->cb(&ev, w->ctx);
}

/* The copy leaves the router's own stack (OUTPUT, not FORWARD, so the
 * queue never sees it again), one hop older like the original. The kernel
 * fills in the header checksum of an IP_HDRINCL packet (IPv6 has none). */
static int send_copy(struct wire *w, const uint8_t *pkt, size_t len)
{
	bool v6 = len && pkt[0] >> 4 == 6;
	size_t whole = v6 ? (len >= 40 ? 40u + wire_be16(pkt + 4) : 0)
			  : (len >= 20 ? wire_be16(pkt + 2) : 0);
	struct sockaddr_storage to = { 0 };
	unsigned hop = v6 ? 7 : 8; /* hop limit, TTL */
	uint8_t *copy;
	ssize_t n;

	if (!whole || whole != len)
		return err_set("duplicate: the queue handed over %zu of %zu bytes", len, whole);
	if (pkt[hop] <= 1)
		return 0;
	copy = xmalloc(len);
	memcpy(copy, pkt, len);
	copy[hop]--;
	if (v6) {
		to.ss_family = AF_INET6;
		memcpy(&((struct sockaddr_in6 *)&to)->sin6_addr, pkt + 24, 16);
	} else {
		to.ss_family = AF_INET;
		memcpy(&((struct sockaddr_in *)&to)->sin_addr, pkt + 16, 4);
	}
	n = sendto(v6 ? w->rawfd6 : w->rawfd, copy, len, 0, (struct sockaddr *)&to,
		   v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	free(copy);
	if (n < 0)
		return err_sys("duplicate: sendto on a raw socket");
	return 0;
}

static void keep(struct wire *w, struct nfnl_queue_msg *msg, unsigned rule,
		 const struct ike_info *ike, int64_t now)
{
	struct pending *p = xcalloc(1, sizeof(*p)), **tail = &w->kept;

	nfnl_queue_msg_get(msg);
	p->msg = msg;
	p->rule = rule;
	p->nth = w->counters[rule].seen;
	p->ike = *ike;
	p->caught_ns = now;
	p->due_ns = w->rules[rule].action == WIRE_DELAY
			    ? now + (int64_t)w->rules[rule].delay_ms * 1000000
			    : -1;
	while (*tail)
		tail = &(*tail)->next;
	*tail = p;
}

/* A whole message only: a first fragment is not the message. */
static void capture(struct wire *w, unsigned rule, const uint8_t *pkt, const struct ike_info *ike)
{
	if (ike->fragment)
		return;
	free(w->captured[rule].buf);
	w->captured[rule].buf = xmalloc(ike->length);
	memcpy(w->captured[rule].buf, pkt + ike->ike_off, ike->length);
	w->captured[rule].len = ike->length;
}

int wire_captured(const struct wire *w, const char *rule, const uint8_t **buf, size_t *len)
{
	for (unsigned i = 0; i < w->nrules; i++) {
		if (strcmp(w->rules[i].name, rule) || w->rules[i].action != WIRE_CAPTURE)
			continue;
		*buf = w->captured[i].buf;
		*len = w->captured[i].len;
		return *buf ? 1 : 0;
	}
	return -1;
}

static int on_packet(struct wire *w, struct nfnl_queue_msg *msg)
{
	const struct wire_rule *r;
	struct ike_info ike;
	const void *data;
	int len = 0, i, rc = 0;

	w->stats.packets++;
	data = nfnl_queue_msg_get_payload(msg, &len);
	if (!data || len <= 0 || !ike_parse(data, (size_t)len, &ike))
		return verdict(w, msg, NF_ACCEPT);
	w->stats.ike++;
	if (w->closing)
		return verdict(w, msg, NF_ACCEPT);
	i = wire_match(w->rules, w->counters, w->nrules, &ike);
	if (i < 0)
		return verdict(w, msg, NF_ACCEPT);
	r = &w->rules[i];
	switch (r->action) {
	case WIRE_DROP:
		rc = verdict(w, msg, NF_DROP);
		break;
	case WIRE_DUPLICATE:
		rc = verdict(w, msg, NF_ACCEPT);
		if (rc == 0)
			rc = send_copy(w, data, (size_t)len);
		break;
	case WIRE_DELAY:
	case WIRE_HOLD:
		keep(w, msg, (unsigned)i, &ike, mono_ns());
		break;
	case WIRE_CAPTURE:
		rc = verdict(w, msg, NF_ACCEPT);
		capture(w, (unsigned)i, data, &ike);
		break;
	}
	report(w, (unsigned)i, w->counters[i].seen, &ike, false, 0);
	return rc;
}

static int on_datagram(struct wire *w, const uint8_t *buf, size_t len)
{
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	int n = (int)len, rc = 0;

	for (; nlmsg_ok(h, n); h = nlmsg_next(h, &n)) {
		struct nfnl_queue_msg *msg;
		int r;

		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = nlmsg_data(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) || !e->error)
				continue;
			w->stats.verdict_errors++;
			rc = err_set("the kernel refused a verdict: %s", strerror(-e->error));
			continue;
		}
		if (h->nlmsg_type != (NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_PACKET))
			continue;
		r = nfnlmsg_queue_msg_parse(h, &msg);
		if (r < 0) {
			rc = err_set("parse a queued packet: %s", nl_geterror(r));
			continue;
		}
		if (on_packet(w, msg) < 0)
			rc = -1;
		nfnl_queue_msg_put(msg);
	}
	return rc;
}

int wire_handle(struct wire *w)
{
	int fd = wire_fd(w), rc = 0;

	for (int i = 0; i < WIRE_BATCH; i++) {
		ssize_t n = recv(fd, w->buf, WIRE_BUF, MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 && errno == ENOBUFS) {
			w->stats.overruns++;
			continue;
		}
		if (n < 0) {
			err_sys("recv on the queue socket");
			return wire_err(w);
		}
		if (n > WIRE_BUF) {
			rc = err_set("a queue message of %zd bytes did not fit", n);
			continue;
		}
		if (on_datagram(w, w->buf, (size_t)n) < 0)
			rc = -1;
	}
	return rc < 0 ? wire_err(w) : 0;
}

int64_t wire_next_due(const struct wire *w)
{
	int64_t due = -1;

	for (const struct pending *p = w->kept; p; p = p->next)
		if (p->due_ns >= 0 && (due < 0 || p->due_ns < due))
			due = p->due_ns;
	return due;
}

/* Accept a kept message, report it, and unlink it. */
static int forward(struct wire *w, struct pending **link)
{
	struct pending *p = *link;
	int r = verdict(w, p->msg, NF_ACCEPT);

	w->counters[p->rule].forwarded++;
	report(w, p->rule, p->nth, &p->ike, true, mono_ns() - p->caught_ns);
	*link = p->next;
	nfnl_queue_msg_put(p->msg);
	free(p);
	return r;
}

int wire_tick(struct wire *w, int64_t now_ns)
{
	struct pending **link = &w->kept;
	int rc = 0;

	while (*link) {
		if ((*link)->due_ns >= 0 && (*link)->due_ns <= now_ns) {
			if (forward(w, link) < 0)
				rc = -1;
		} else {
			link = &(*link)->next;
		}
	}
	return rc < 0 ? wire_err(w) : 0;
}

int wire_release(struct wire *w, const char *hold)
{
	struct pending **link = &w->kept;
	int rc = 0, count = 0;

	for (unsigned i = 0; i < w->nrules; i++)
		if (w->rules[i].action == WIRE_HOLD && !strcmp(hold_name(&w->rules[i]), hold))
			w->counters[i].released = true;
	while (*link) {
		const struct wire_rule *r = &w->rules[(*link)->rule];

		if (r->action == WIRE_HOLD && !strcmp(hold_name(r), hold)) {
			if (forward(w, link) < 0)
				rc = -1;
			count++;
		} else {
			link = &(*link)->next;
		}
	}
	if (rc < 0) {
		err_wrap("release %s", hold);
		return wire_err(w);
	}
	return count;
}

const struct wire_counters *wire_rule_counters(const struct wire *w, unsigned rule)
{
	return rule < w->nrules ? &w->counters[rule] : NULL;
}

void wire_get_stats(const struct wire *w, struct wire_stats *out)
{
	*out = w->stats;
}

/* Without acknowledgement: the socket closes next, which unbinds anyway. */
static void queue_unbind(struct wire *w)
{
	struct nfnl_queue *q = nfnl_queue_alloc();

	if (!q)
		return;
	nfnl_queue_set_group(q, w->queue);
	nfnl_queue_delete(w->sk, q);
	nfnl_queue_put(q);
}

int wire_close(struct wire *w)
{
	char why[ERR_MSG_MAX] = "";

	if (!w)
		return 0;
	/* Rule first, so nothing new is queued; then what is in the socket,
	 * then what we keep: the kernel would drop it all on unbind. */
	if (w->rule_added && iptables(w, "-D") < 0) {
		wire_err(w);
		snprintf(why, sizeof(why), "%s", err_msg());
	}
	w->closing = true;
	wire_handle(w);
	while (w->kept)
		forward(w, &w->kept);
	queue_unbind(w);
	wire_free(w);
	return why[0] ? err_set("%s", why) : 0;
}
