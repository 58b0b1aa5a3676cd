/*
 * wiretest.c - drives lab/kernel/wire.c for tests/wire/run.sh: opens the wire on
 * a router namespace with rules from the command line, runs the event loop
 * a controller would, prints what happens as JSON lines on stdout and
 * takes commands on stdin.
 *
 *   wiretest ROUTER QUEUE RULE...
 *	ROUTER	a namespace under /run/netns
 *	RULE	name:action[:key=value,...], keys exchange (a name), response
 *		(0/1), from (IPv4), id, nth, delay (ms), hold (a name)
 *   stdin: "release NAME", or "close" (end of input closes too)
 *   stdout: {"ready":1}, one line per wire event, {"release":..},
 *	{"rule":..} counters and {"closed":..} stats after closing,
 *	{"error":..} for failures.
 *
 *   wiretest netem NS DEV DELAY_MS JITTER_MS LOSS_PCT | clear
 *	netem_set / netem_clear on DEV in namespace NS (tests/wire/netem.sh)
 */
#include "base/err.h"
#include "kernel/netem.h"
#include "kernel/netns.h"
#include "base/util.h"
#include "kernel/wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* {"error":"WHAT: err_msg()"}, with what JSON cannot hold as is replaced. */
static void error_line(const char *what)
{
	char msg[ERR_MSG_MAX];

	snprintf(msg, sizeof(msg), "%s: %s", what, err_msg());
	for (char *p = msg; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = '\'';
	line("{\"error\":\"%s\"}", msg);
}

static void fail(const char *what)
{
	error_line(what);
	exit(1);
}

static int rule_key(struct wire_rule *r, const char *key, const char *val)
{
	if (!strcmp(key, "exchange"))
		r->exchange = ike_exchange_from_name(val);
	else if (!strcmp(key, "response"))
		r->response = atoi(val);
	else if (!strcmp(key, "from"))
		return wire_addr_parse(val, &r->from);
	else if (!strcmp(key, "id"))
		r->message_id = strtoll(val, NULL, 0);
	else if (!strcmp(key, "nth"))
		r->nth = (uint32_t)strtoul(val, NULL, 0);
	else if (!strcmp(key, "delay"))
		r->delay_ms = (uint32_t)strtoul(val, NULL, 0);
	else if (!strcmp(key, "hold"))
		r->hold = val;
	else
		return -1;
	return r->exchange == -2 ? -1 : 0;
}

/* name:action[:k=v,...]; the strings stay in argv. */
static int rule_parse(char *spec, struct wire_rule *r)
{
	char *action, *opts, *kv, *save = NULL;
	int a;

	*r = (struct wire_rule){ .exchange = WIRE_ANY,
				 .response = WIRE_ANY,
				 .message_id = WIRE_ANY };
	r->name = spec;
	action = strchr(spec, ':');
	if (!action)
		return -1;
	*action++ = '\0';
	opts = strchr(action, ':');
	if (opts)
		*opts++ = '\0';
	a = wire_action_from_name(action);
	if (a < 0)
		return -1;
	r->action = (enum wire_action)a;
	for (kv = opts ? strtok_r(opts, ",", &save) : NULL; kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq)
			return -1;
		*eq++ = '\0';
		if (rule_key(r, kv, eq) < 0)
			return -1;
	}
	return 0;
}

static void on_event(const struct wire_event *ev, void *ctx)
{
	const char *x = ike_exchange_name(ev->ike.exchange);
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];

	wire_addr_str(&ev->ike.src, src, sizeof(src));
	wire_addr_str(&ev->ike.dst, dst, sizeof(dst));
	line("{\"event\":\"%s\",\"rule\":\"%s\",\"released\":%d,\"mono_ns\":%lld,\"kept_ns\":%lld,"
	     "\"nth\":%u,\"exchange\":\"%s\",\"response\":%d,\"initiator\":%d,\"msgid\":%u,"
	     "\"src\":\"%s\",\"dst\":\"%s\",\"sport\":%u,\"dport\":%u,\"natt\":%d,\"spi_i\":\"%"
	     "016llx\"}",
	     wire_action_name(ev->action), ev->rule, ev->released, (long long)ev->mono_ns,
	     (long long)ev->kept_ns, ev->nth, x ? x : "other", ev->ike.response, ev->ike.initiator,
	     ev->ike.message_id, src, dst, ev->ike.sport, ev->ike.dport, ev->ike.natt,
	     (unsigned long long)ev->ike.spi_i);
}

/* One command from stdin; 1 when it is time to close. */
static int command(struct wire *w)
{
	char buf[256];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf) - 1);
	int r;

	if (n <= 0)
		return 1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!strncmp(buf, "release ", 8)) {
		r = wire_release(w, buf + 8);
		if (r < 0)
			error_line("release");
		else
			line("{\"release\":\"%s\",\"count\":%d}", buf + 8, r);
		return 0;
	}
	if (!strcmp(buf, "close"))
		return 1;
	err_set("%s", buf);
	error_line("unknown command");
	return 0;
}

static void closing(struct wire *w, const struct wire_rule *rules, unsigned n)
{
	struct wire_stats st;

	for (unsigned i = 0; i < n; i++) {
		const struct wire_counters *c = wire_rule_counters(w, i);

		line("{\"rule\":\"%s\",\"seen\":%u,\"taken\":%u,\"forwarded\":%u,\"released\":%d}",
		     rules[i].name, c->seen, c->taken, c->forwarded, c->released);
	}
	wire_get_stats(w, &st);
	if (wire_close(w) < 0)
		fail("close");
	line("{\"closed\":1,\"packets\":%llu,\"ike\":%llu,\"overruns\":%llu,\"verdict_errors\":%"
	     "llu}",
	     (unsigned long long)st.packets, (unsigned long long)st.ike,
	     (unsigned long long)st.overruns, (unsigned long long)st.verdict_errors);
}

static int netem_main(int argc, char **argv)
{
	int nsfd, r;

	if (argc != 5 && (argc != 3 || strcmp(argv[2], "clear"))) {
		fprintf(stderr,
			"usage: wiretest netem NS DEV DELAY_MS JITTER_MS LOSS_PCT | clear\n");
		return 2;
	}
	nsfd = netns_open(argv[0]);
	if (nsfd < 0) {
		fprintf(stderr, "wiretest: %s\n", err_msg());
		return 1;
	}
	if (argc == 3)
		r = netem_clear(nsfd, argv[1]);
	else
		r = netem_set(nsfd, argv[1], (uint32_t)strtoul(argv[2], NULL, 0),
			      (uint32_t)strtoul(argv[3], NULL, 0), strtod(argv[4], NULL));
	close(nsfd);
	if (r < 0)
		fprintf(stderr, "wiretest: %s\n", err_msg());
	return r < 0;
}

int main(int argc, char **argv)
{
	struct wire_rule rules[16];
	unsigned n = 0;
	struct wire *w;
	int nsfd;

	if (argc >= 2 && !strcmp(argv[1], "netem"))
		return netem_main(argc - 2, argv + 2);
	if (argc < 3 || argc - 3 > (int)ARRAY_LEN(rules)) {
		fprintf(stderr, "usage: wiretest ROUTER QUEUE RULE...\n");
		return 2;
	}
	for (int i = 3; i < argc; i++, n++)
		if (rule_parse(argv[i], &rules[n]) < 0) {
			fprintf(stderr, "wiretest: bad rule %s\n", argv[i]);
			return 2;
		}
	nsfd = netns_open(argv[1]);
	if (nsfd < 0)
		fail("open");
	w = wire_open(nsfd, argv[1], (uint16_t)atoi(argv[2]), false, rules, n, on_event, NULL);
	close(nsfd);
	if (!w)
		fail("open");
	line("{\"ready\":1}");
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = wire_fd(w), .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		int64_t due = wire_next_due(w), now = mono_ns();
		int timeout = due < 0 ? -1 : due <= now ? 0 : (int)((due - now + 999999) / 1000000);

		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			break;
		if (p[0].revents && wire_handle(w) < 0)
			error_line("handle");
		if (wire_next_due(w) >= 0 && wire_tick(w, mono_ns()) < 0)
			error_line("tick");
		if (p[1].revents && command(w))
			break;
	}
	closing(w, rules, n);
	return 0;
}
