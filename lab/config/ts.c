#include "config/ts.h"
#include "base/err.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The protocol names charon's traffic selector parser accepts. */
static const char *const protos[] = { "tcp",     "udp", "icmp", "icmp6", "ipv6-icmp", "sctp",
				      "udplite", "gre", "esp",  "ah",    NULL };

struct ts_addr {
	int af;
	unsigned char bytes[16];
	unsigned plen; /* the family's full length when none was written */
};

static bool addr_parse(const char *s, size_t n, struct ts_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, a->bytes) == 1) {
		a->af = AF_INET;
		a->plen = 32;
		return true;
	}
	if (inet_pton(AF_INET6, buf, a->bytes) == 1) {
		a->af = AF_INET6;
		a->plen = 128;
		return true;
	}
	return false;
}

/* "ADDR" or "ADDR/PLEN", N bytes of S; the prefix length in decimal without
 * leading zeros and within the family's. */
static bool cidr_parse_n(const char *s, size_t n, struct ts_addr *a)
{
	const char *slash = memchr(s, '/', n);
	size_t digits;
	unsigned long plen;

	if (!slash)
		return addr_parse(s, n, a);
	if (!addr_parse(s, (size_t)(slash - s), a))
		return false;
	digits = n - (size_t)(slash - s) - 1;
	if (!digits || digits > 3 || strspn(slash + 1, "0123456789") < digits ||
	    (slash[1] == '0' && digits > 1))
		return false;
	plen = strtoul(slash + 1, NULL, 10);
	if (plen > a->plen)
		return false;
	a->plen = (unsigned)plen;
	return true;
}

static bool range_ok(const char *s, size_t n)
{
	const char *dash = memchr(s, '-', n);
	struct ts_addr a, b;

	return dash && addr_parse(s, (size_t)(dash - s), &a) &&
	       addr_parse(dash + 1, n - (size_t)(dash - s) - 1, &b) && a.af == b.af &&
	       memcmp(a.bytes, b.bytes, a.af == AF_INET ? 4 : 16) <= 0;
}

static bool number_ok(const char *s, size_t n, unsigned long max)
{
	if (!n || n > 5 || strspn(s, "0123456789") < n || (s[0] == '0' && n > 1))
		return false;
	return strtoul(s, NULL, 10) <= max;
}

static bool port_ok(const char *s, size_t n)
{
	const char *dash = memchr(s, '-', n);

	if (n == 4 && !memcmp(s, "%any", 4))
		return true;
	if (!dash)
		return number_ok(s, n, 65535);
	return number_ok(s, (size_t)(dash - s), 65535) &&
	       number_ok(dash + 1, n - (size_t)(dash - s) - 1, 65535);
}

static bool proto_ok(const char *s, size_t n)
{
	for (const char *const *p = protos; *p; p++)
		if (strlen(*p) == n && !memcmp(s, *p, n))
			return true;
	return (n == 4 && !memcmp(s, "%any", 4)) || number_ok(s, n, 255);
}

/* "[proto]" or "[proto/port]", the whole of S. */
static bool brackets_ok(const char *s)
{
	size_t n = strlen(s);
	const char *slash;

	if (n < 3 || s[0] != '[' || s[n - 1] != ']')
		return false;
	s++;
	n -= 2;
	slash = memchr(s, '/', n);
	if (!slash)
		return proto_ok(s, n);
	return proto_ok(s, (size_t)(slash - s)) && port_ok(slash + 1, n - (size_t)(slash - s) - 1);
}

bool ts_symbolic(const char *s, int *index, const char **suffix)
{
	const char *p;

	if (strncmp(s, "protected", 9))
		return false;
	p = s + 9;
	*index = -1;
	if (*p == ':') {
		size_t n = strspn(p + 1, "0123456789");

		if (!number_ok(p + 1, n, 15))
			return false;
		*index = atoi(p + 1);
		p += 1 + n;
	}
	*suffix = p;
	return *p == '\0' || *p == '[';
}

int ts_check(const char *s)
{
	const char *br = strchr(s, '[');
	size_t n = br ? (size_t)(br - s) : strlen(s);
	struct ts_addr a;
	bool ok;

	if (strlen(s) >= TS_LEN)
		return err_set("traffic selector '%.40s...' is too long (at most %d characters)", s,
			       TS_LEN - 1);
	int idx;
	const char *sym_end;

	ok = (n == 7 && !memcmp(s, "dynamic", 7)) || cidr_parse_n(s, n, &a) || range_ok(s, n) ||
	     (ts_symbolic(s, &idx, &sym_end) && sym_end == s + n);
	if (ok && br)
		ok = brackets_ok(br);
	if (!ok)
		return err_set("'%s' is not a traffic selector (an address, CIDR or range, "
			       "IPv4 or IPv6, dynamic, protected or protected:N; optionally "
			       "with [proto] or [proto/port])",
			       s);
	return 0;
}

static void mask(struct ts_addr *a)
{
	unsigned len = a->af == AF_INET ? 4 : 16;

	for (unsigned i = 0; i < len; i++) {
		unsigned keep = a->plen > i * 8 ? a->plen - i * 8 : 0;

		if (keep < 8)
			a->bytes[i] &= (unsigned char)(0xff00u >> keep);
	}
}

bool ts_subnet(const char *s, char *buf, size_t len)
{
	size_t n = strcspn(s, "[");
	char addr[INET6_ADDRSTRLEN];
	struct ts_addr a;

	if (!cidr_parse_n(s, n, &a))
		return false;
	mask(&a);
	inet_ntop(a.af, a.bytes, addr, sizeof(addr));
	snprintf(buf, len, "%s/%u", addr, a.plen);
	return true;
}
