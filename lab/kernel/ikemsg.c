/*
 * ikemsg.c - IKEv2 messages made to order (see ikemsg.h).
 */
#include "kernel/ikemsg.h"
#include "base/err.h"
#include "base/util.h"
#include "kernel/netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Payload types (RFC 7296, 3.2). */
enum {
	PL_NONE = 0,
	PL_SA = 33,
	PL_KE = 34,
	PL_NONCE = 40,
	PL_NOTIFY = 41,
	PL_VENDOR = 43,
};

#define HDR_LEN 28
#define KE_GROUP_X25519 31

/* Notify types by charon's short names: the errors of RFC 7296, 3.10.1 a
 * report is likely to name, and the status types 16384 on in order. */
static const struct {
	const char *name;
	uint16_t type;
} notify_errors[] = {
	{ "INVAL_IKE_SPI", 4 }, { "INVAL_MAJOR", 5 }, { "INVAL_SYN", 7 },    { "INVAL_MID", 9 },
	{ "INVAL_SPI", 11 },    { "NO_PROP", 14 },    { "INVAL_KE", 17 },    { "AUTH_FAILED", 24 },
	{ "SINGLE_PAIR", 34 },  { "NO_ADD_SAS", 35 }, { "TS_UNACCEPT", 38 }, { "TEMP_FAIL", 43 },
	{ "NO_CHILD_SA", 44 },
};

static const char *const notify_status[] = {
	"INIT_CONTACT",  "SET_WINSIZE",    "ADD_TS_POSS",     "IPCOMP_SUP",     "NATD_S_IP",
	"NATD_D_IP",     "COOKIE",         "USE_TRANSP",      "HTTP_CERT_LOOK", "REKEY_SA",
	"ESP_TFC_PAD_N", "NON_FIRST_FRAG", "MOBIKE_SUP",      "ADD_4_ADDR",     "ADD_6_ADDR",
	"NO_ADD_ADDR",   "UPD_SA_ADDR",    "COOKIE2",         "NO_NATS",        "AUTH_LFT",
	"MULT_AUTH",     "AUTH_FOLLOWS",   "REDIR_SUP",       "REDIR",          "REDIR_FROM",
	"TKT_LT_OPAK",   "TKT_REQ",        "TKT_ACK",         "TKT_NACK",       "TKT_OPAK",
	"LINK_ID",       "WESP_MODE",      "ROHC_SUP",        "EAP_ONLY",       "CHDLESS_SUP",
	"CRASH_DET",     "MSG_ID_SYN_SUP", "RPL_CTR_SYN_SUP", "MSG_ID_SYN",     "RPL_CTR_SYN",
	"SEC_PASSWD",    "PSK_PST",        "PSK_CFM",         "ERX_SUP",        "IFOM_CAP",
	"SENDER_REQ_ID", "FRAG_SUP",       "HASH_ALG",
};

/* "COOKIE" or "16390" -> 16390; -1 for anything else. */
static long notify_type(const char *name, size_t len)
{
	char buf[32];
	char *end;
	long v;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, name, len);
	buf[len] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(notify_errors); i++)
		if (!strcmp(buf, notify_errors[i].name))
			return notify_errors[i].type;
	for (size_t i = 0; i < ARRAY_LEN(notify_status); i++)
		if (!strcmp(buf, notify_status[i]))
			return 16384 + (long)i;
	if (buf[0] < '0' || buf[0] > '9' || (buf[0] == '0' && len > 1))
		return -1;
	v = strtol(buf, &end, 10);
	return *end || v > 65535 ? -1 : v;
}

/* One word of a payload list: its type and, for N(...), the notify type. */
struct pl_word {
	int type;
	long notify;
};

/* The word at *p (advanced past it and the blanks after it); 0 at the
 * end, -1 and err_msg() for a word that is no payload. */
static int next_word(const char **p, struct pl_word *w)
{
	const char *s = *p + strspn(*p, " ");
	size_t n = strcspn(s, " ");

	if (!n)
		return 0;
	w->notify = -1;
	if (n == 2 && !strncmp(s, "SA", 2))
		w->type = PL_SA;
	else if (n == 2 && !strncmp(s, "KE", 2))
		w->type = PL_KE;
	else if (n == 2 && !strncmp(s, "No", 2))
		w->type = PL_NONCE;
	else if (n == 1 && s[0] == 'V')
		w->type = PL_VENDOR;
	else if (n > 3 && !strncmp(s, "N(", 2) && s[n - 1] == ')' &&
		 (w->notify = notify_type(s + 2, n - 3)) >= 0)
		w->type = PL_NOTIFY;
	else
		return err_set("'%.*s' is not a payload ikelab writes: SA, KE, No, V, or N(TYPE) "
			       "with TYPE a number up to 65535 or one of charon's names "
			       "(N(COOKIE), N(NATD_S_IP), ...)",
			       (int)(n > 40 ? 40 : n), s);
	*p = s + n;
	return 1;
}

int ikemsg_check_payloads(const char *list)
{
	struct pl_word w;
	int r;

	while ((r = next_word(&list, &w)) > 0)
		;
	return r;
}

int ikemsg_exchange(const char *text, uint8_t *out)
{
	static const char *const names[] = { "IKE_SA_INIT", "IKE_AUTH", "CREATE_CHILD_SA",
					     "INFORMATIONAL" };
	char *end;
	long v;

	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (!strcmp(text, names[i])) {
			*out = (uint8_t)(34 + i);
			return 0;
		}
	if (text[0] >= '0' && text[0] <= '9' && !(text[0] == '0' && text[1])) {
		v = strtol(text, &end, 10);
		if (!*end && v <= 255) {
			*out = (uint8_t)v;
			return 0;
		}
	}
	return err_set("'%s' is not an exchange: IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, "
		       "INFORMATIONAL or a number up to 255",
		       text);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ikemsg_spi(const char *text, uint64_t *out)
{
	uint64_t v = 0;

	for (int i = 0; i < 16; i++) {
		int d = hex_digit(text[i]);

		if (d < 0)
			return err_set("'%s' is not an SPI: 16 hex digits", text);
		v = v << 4 | (uint64_t)d;
	}
	if (text[16])
		return err_set("'%s' is not an SPI: 16 hex digits", text);
	*out = v;
	return 0;
}

int ikemsg_hex(const char *text, uint8_t **out, size_t *len)
{
	size_t n = strlen(text);
	uint8_t *b;

	if (n % 2 || n / 2 > IKEMSG_BODY_MAX)
		return err_set("body: an even number of hex digits, at most %d bytes",
			       IKEMSG_BODY_MAX);
	b = xmalloc(n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(b);
			return err_set("body: '%c' at %zu is not a hex digit",
				       hi < 0 ? text[2 * i] : text[2 * i + 1],
				       hi < 0 ? 2 * i + 1 : 2 * i + 2);
		}
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	*out = b;
	*len = n / 2;
	return 0;
}

/* ---- building --------------------------------------------------------------- */

struct out {
	uint8_t b[IKEMSG_MAX];
	size_t n;
	bool full;
	uint64_t rand;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (!n)
		return; /* p may be NULL: no body */
	if (o->n + n > sizeof(o->b)) {
		o->full = true;
		return;
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void put8(struct out *o, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(o, &b, 1);
}

static void put16(struct out *o, unsigned v)
{
	put8(o, v >> 8);
	put8(o, v);
}

static void put32(struct out *o, uint32_t v)
{
	put16(o, v >> 16);
	put16(o, v & 0xffff);
}

static void put64(struct out *o, uint64_t v)
{
	put32(o, (uint32_t)(v >> 32));
	put32(o, (uint32_t)v);
}

/* splitmix64, like the scenario's draws: the same seed, the same bytes. */
static void put_random(struct out *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t z = (o->rand += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		put8(o, (unsigned)((z ^ (z >> 31)) & 0xff));
	}
}

/* A transform substructure (3.3.2); keylen 0: no attribute. */
static void put_transform(struct out *o, bool last, unsigned type, unsigned id, unsigned keylen)
{
	put8(o, last ? 0 : 3);
	put8(o, 0);
	put16(o, keylen ? 12 : 8);
	put8(o, type);
	put8(o, 0);
	put16(o, id);
	if (keylen) {
		put16(o, 0x800e); /* Key Length, TV format */
		put16(o, keylen);
	}
}

/* One IKE proposal: AES-CBC-128, HMAC-SHA2-256-128, PRF-HMAC-SHA2-256,
 * Curve25519 (RFC 7296 3.3 and IANA's IKEv2 transform numbers). */
static void put_sa_body(struct out *o)
{
	put8(o, 0); /* last proposal */
	put8(o, 0);
	put16(o, 8 + 12 + 8 + 8 + 8);
	put8(o, 1);                          /* proposal number */
	put8(o, 1);                          /* protocol: IKE */
	put8(o, 0);                          /* SPI size */
	put8(o, 4);                          /* transforms */
	put_transform(o, false, 1, 12, 128); /* ENCR_AES_CBC */
	put_transform(o, false, 2, 5, 0);    /* PRF_HMAC_SHA2_256 */
	put_transform(o, false, 3, 12, 0);   /* AUTH_HMAC_SHA2_256_128 */
	put_transform(o, true, 4, KE_GROUP_X25519, 0);
}

static size_t body_len(const struct pl_word *w)
{
	switch (w->type) {
	case PL_SA:
		return 44;
	case PL_KE:
		return 4 + 32;
	case PL_NONCE:
		return 32;
	case PL_NOTIFY:
		return 4;
	default: /* vendor ID */
		return 16;
	}
}

static void put_payload(struct out *o, const struct pl_word *w, int next)
{
	put8(o, (unsigned)next);
	put8(o, 0);
	put16(o, (unsigned)(4 + body_len(w)));
	switch (w->type) {
	case PL_SA:
		put_sa_body(o);
		break;
	case PL_KE:
		put16(o, KE_GROUP_X25519);
		put16(o, 0);
		put_random(o, 32);
		break;
	case PL_NONCE:
		put_random(o, 32);
		break;
	case PL_NOTIFY:
		put8(o, 0); /* protocol: none */
		put8(o, 0); /* SPI size */
		put16(o, (unsigned)w->notify);
		break;
	default:
		put_random(o, 16);
	}
}

/* The payloads of LIST, each with the type of the next in its header. */
static int put_payloads(struct out *o, const char *list)
{
	struct pl_word cur, nxt;
	const char *p = list ? list : "";
	int have = next_word(&p, &cur), more;

	while (have > 0) {
		more = next_word(&p, &nxt);
		if (more < 0)
			return -1;
		put_payload(o, &cur, more > 0 ? nxt.type : PL_NONE);
		cur = nxt;
		have = more;
	}
	return have;
}

static int first_payload(const struct ikemsg *m)
{
	const char *p = m->payloads ? m->payloads : "";
	struct pl_word w;
	int r = next_word(&p, &w);

	if (r < 0)
		return -1;
	if (r > 0)
		return w.type;
	return m->next_payload >= 0 ? m->next_payload : PL_NONE;
}

int ikemsg_build(const struct ikemsg *m, uint8_t **out, size_t *len)
{
	struct out *o = xcalloc(1, sizeof(*o));
	int first = first_payload(m);
	size_t start;

	o->rand = m->rand;
	if (first < 0)
		goto fail;
	if (m->natt)
		put32(o, 0); /* the non-ESP marker */
	start = o->n;
	put64(o, m->spi_i);
	put64(o, m->spi_r);
	put8(o, (unsigned)first);
	put8(o, m->version);
	put8(o, m->exchange);
	put8(o, m->flags);
	put32(o, m->message_id);
	put32(o, 0); /* the length, below */
	if (put_payloads(o, m->payloads) < 0)
		goto fail;
	put(o, m->body, m->body_len);
	if (o->full) {
		err_set("the message would be longer than %d bytes", IKEMSG_MAX);
		goto fail;
	}
	{
		uint32_t l = m->length ? *m->length : (uint32_t)(o->n - start);
		uint8_t *f = o->b + start + 24;

		f[0] = (uint8_t)(l >> 24);
		f[1] = (uint8_t)(l >> 16);
		f[2] = (uint8_t)(l >> 8);
		f[3] = (uint8_t)l;
	}
	*out = xmalloc(o->n);
	memcpy(*out, o->b, o->n);
	*len = o->n;
	free(o);
	return 0;
fail:
	free(o);
	return -1;
}

/* ---- sending ---------------------------------------------------------------- */

static int open_socket(int nsfd, const char *ns, int af)
{
	struct netns_switch sw;
	int fd;

	if (netns_enter(&sw, nsfd) < 0)
		return -1;
	fd = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	netns_leave(&sw);
	if (fd < 0)
		return err_sys("socket in %s", ns);
	return fd;
}

/* The IKE port itself when nobody holds it there (a router), any port
 * otherwise (a peer, whose charon holds 500 and 4500). */
static int bind_port(int fd, int af, uint16_t port, const char *ns, uint16_t *sport)
{
	struct sockaddr_storage sa = { .ss_family = (sa_family_t)af };
	socklen_t len = af == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	if (af == AF_INET)
		((struct sockaddr_in *)&sa)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&sa)->sin6_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sa, len) < 0) {
		if (errno != EADDRINUSE)
			return err_sys("bind port %u in %s", port, ns);
		if (af == AF_INET)
			((struct sockaddr_in *)&sa)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&sa)->sin6_port = 0;
		if (bind(fd, (struct sockaddr *)&sa, len) < 0)
			return err_sys("bind in %s", ns);
	}
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return err_sys("getsockname in %s", ns);
	*sport = ntohs(af == AF_INET ? ((struct sockaddr_in *)&sa)->sin_port
				     : ((struct sockaddr_in6 *)&sa)->sin6_port);
	return 0;
}

int ikemsg_send(int nsfd, const char *ns, const char *dst, uint16_t port, const uint8_t *buf,
		size_t len, uint16_t *sport)
{
	struct sockaddr_storage to = { 0 };
	socklen_t tolen;
	int af, fd;

	if (inet_pton(AF_INET, dst, &((struct sockaddr_in *)&to)->sin_addr) == 1) {
		af = AF_INET;
		((struct sockaddr_in *)&to)->sin_port = htons(port);
		tolen = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, dst, &((struct sockaddr_in6 *)&to)->sin6_addr) == 1) {
		af = AF_INET6;
		((struct sockaddr_in6 *)&to)->sin6_port = htons(port);
		tolen = sizeof(struct sockaddr_in6);
	} else {
		return err_set("'%s' is not an address", dst);
	}
	to.ss_family = (sa_family_t)af;
	if ((fd = open_socket(nsfd, ns, af)) < 0)
		return -1;
	if (bind_port(fd, af, port, ns, sport) < 0) {
		close(fd);
		return -1;
	}
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, tolen) != (ssize_t)len) {
		err_sys("sendto %s port %u from %s", dst, port, ns);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
