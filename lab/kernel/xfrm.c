#include "kernel/xfrm.h"
#include "base/err.h"
#include "kernel/net.h"
#include "kernel/netns.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/xfrm.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/xfrm/sa.h>
#include <netlink/xfrm/selector.h>
#include <netlink/xfrm/sp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct dump_ctx {
	struct xfrm_dump *d;
};

static void addr_str(struct nl_addr *a, char *buf, size_t len, int prefix)
{
	if (!a) {
		snprintf(buf, len, "-");
		return;
	}
	nl_addr2str(a, buf, len);
	/* nl_addr2str omits the prefix of full-length addresses; selectors
	 * read better with it. */
	if (prefix && !strchr(buf, '/'))
		snprintf(buf + strlen(buf), len - strlen(buf), "/%u", nl_addr_get_prefixlen(a));
}

static void sa_cb(struct nl_object *obj, void *arg)
{
	struct xfrmnl_sa *sa = (struct xfrmnl_sa *)obj;
	struct xfrm_dump *d = arg;
	struct xfrm_sa_info *i;

	d->sas = xrealloc(d->sas, (d->n_sas + 1) * sizeof(*d->sas));
	i = &d->sas[d->n_sas++];
	memset(i, 0, sizeof(*i));
	addr_str(xfrmnl_sa_get_saddr(sa), i->src, sizeof(i->src), 0);
	addr_str(xfrmnl_sa_get_daddr(sa), i->dst, sizeof(i->dst), 0);
	i->spi = (uint32_t)xfrmnl_sa_get_spi(sa);
	i->reqid = (uint32_t)xfrmnl_sa_get_reqid(sa);
	i->proto = (uint8_t)xfrmnl_sa_get_proto(sa);
	xfrmnl_sa_mode2str(xfrmnl_sa_get_mode(sa), i->mode, sizeof(i->mode));
}

/* "10.1.0.0/16" from a selector address: always with the prefix. */
static void sel_addr_str(int family, const xfrm_address_t *a, unsigned prefix, char *buf,
			 size_t len)
{
	if ((family != AF_INET && family != AF_INET6) ||
	    !inet_ntop(family, a, buf, (socklen_t)len)) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf + strlen(buf), len - strlen(buf), "/%u", prefix);
}

/*
 * One XFRM_MSG_NEWPOLICY of the dump. Parsed here rather than through
 * libnl-xfrm's policy cache: libnl 3.7 (Debian 12) leaks the selector and
 * template addresses of every policy it parses, some 60 kB a second for a
 * recorder sampling two peers at 10 Hz.
 */
static int sp_msg(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct xfrm_dump *d = arg;
	const struct xfrm_userpolicy_info *p;
	struct nlattr *tmpl;
	struct xfrm_policy_info *i;

	if (h->nlmsg_type != XFRM_MSG_NEWPOLICY || nlmsg_datalen(h) < (int)sizeof(*p))
		return NL_SKIP;
	p = nlmsg_data(h);
	/* Per-socket policies (charon's IKE bypass) are not in the SPD. */
	if (p->dir >= XFRM_POLICY_MAX)
		return NL_OK;
	d->policies = xrealloc(d->policies, (d->n_policies + 1) * sizeof(*d->policies));
	i = &d->policies[d->n_policies++];
	memset(i, 0, sizeof(*i));
	sel_addr_str(p->sel.family, &p->sel.saddr, p->sel.prefixlen_s, i->src, sizeof(i->src));
	sel_addr_str(p->sel.family, &p->sel.daddr, p->sel.prefixlen_d, i->dst, sizeof(i->dst));
	xfrmnl_sp_dir2str(p->dir, i->dir, sizeof(i->dir));
	xfrmnl_sp_action2str(p->action, i->action, sizeof(i->action));
	i->index = p->index;
	i->priority = p->priority;
	tmpl = nlmsg_find_attr(h, sizeof(*p), XFRMA_TMPL);
	i->templates = tmpl ? nla_len(tmpl) / (int)sizeof(struct xfrm_user_tmpl) : 0;
	return NL_OK;
}

static int dump_policies(struct nl_sock *s, struct xfrm_dump *out)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int r;

	if (!cb)
		return -NLE_NOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, sp_msg, out);
	r = nl_send_simple(s, XFRM_MSG_GETPOLICY, NLM_F_DUMP, NULL, 0);
	if (r >= 0)
		r = nl_recvmsgs(s, cb);
	nl_cb_put(cb);
	return r;
}

int xfrm_dump(int nsfd, struct xfrm_dump *out)
{
	struct nl_sock *s = net_sock_in(nsfd, NETLINK_XFRM);
	int r;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	r = xfrm_dump_sock(s, out);
	net_sock_free(s);
	return r;
}

int xfrm_dump_sock(struct nl_sock *s, struct xfrm_dump *out)
{
	struct nl_cache *sas = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	r = xfrmnl_sa_alloc_cache(s, &sas);
	if (r < 0) {
		err_set("dump xfrm SAs: %s", nl_geterror(r));
		return -1;
	}
	nl_cache_foreach(sas, sa_cb, out);
	nl_cache_free(sas);
	r = dump_policies(s, out);
	if (r < 0) {
		err_set("dump xfrm policies: %s", nl_geterror(r));
		return -1;
	}
	return 0;
}

void xfrm_dump_free(struct xfrm_dump *d)
{
	free(d->sas);
	free(d->policies);
	memset(d, 0, sizeof(*d));
}

/* Send one request and wait for the kernel's answer. */
static int xfrm_request(int nsfd, int type, const void *body, size_t len, const char *what)
{
	struct nl_sock *s = net_sock_in(nsfd, NETLINK_XFRM);
	struct nl_msg *m;
	int r;

	if (!s)
		return -1;
	m = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_ACK);
	r = m ? nlmsg_append(m, (void *)body, len, NLMSG_ALIGNTO) : -NLE_NOMEM;
	if (r == 0)
		r = nl_send_auto(s, m);
	if (r >= 0)
		r = nl_wait_for_ack(s);
	nlmsg_free(m);
	net_sock_free(s);
	if (r < 0)
		return err_set("%s: %s", what, nl_geterror(r));
	return 0;
}

/* The SA's destination and SPI as the kernel names them; its family. */
static int sa_id(const char *dst, uint32_t spi, xfrm_address_t *daddr, __be32 *nspi)
{
	memset(daddr, 0, sizeof(*daddr));
	*nspi = htonl(spi);
	if (inet_pton(AF_INET, dst, &daddr->a4) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, dst, daddr->a6) == 1)
		return AF_INET6;
	return err_set("SA destination '%s' is not an IPv4 or IPv6 address", dst);
}

int xfrm_expire(int nsfd, const char *dst, uint32_t spi, bool hard)
{
	struct xfrm_user_expire ue;
	char what[96];

	int af;

	memset(&ue, 0, sizeof(ue));
	if ((af = sa_id(dst, spi, &ue.state.id.daddr, &ue.state.id.spi)) < 0)
		return -1;
	ue.state.id.proto = IPPROTO_ESP;
	ue.state.family = (uint16_t)af;
	ue.hard = hard;
	snprintf(what, sizeof(what), "%s expire of ESP SA %08x to %s", hard ? "hard" : "soft", spi,
		 dst);
	return xfrm_request(nsfd, XFRM_MSG_EXPIRE, &ue, sizeof(ue), what);
}

int xfrm_delete_sa(int nsfd, const char *dst, uint32_t spi)
{
	struct xfrm_usersa_id id;
	char what[96];

	int af;

	memset(&id, 0, sizeof(id));
	if ((af = sa_id(dst, spi, &id.daddr, &id.spi)) < 0)
		return -1;
	id.family = (uint16_t)af;
	id.proto = IPPROTO_ESP;
	snprintf(what, sizeof(what), "delete ESP SA %08x to %s", spi, dst);
	return xfrm_request(nsfd, XFRM_MSG_DELSA, &id, sizeof(id), what);
}

const struct esp_transform xfrm_aes_gcm = {
	.aead = "rfc4106(gcm(aes))",
	.key_bits = 160,
	.icv_bits = 128,
};

int xfrm_add_test_sa(struct nl_sock *s, const struct esp_transform *t, uint32_t spi)
{
	static const char key[64] = "ikelab test key material, it never protects any traffic.";
	struct nl_addr *src = NULL, *dst = NULL;
	struct xfrmnl_sa *sa = xfrmnl_sa_alloc();
	int r;

	if (!sa)
		return err_set("xfrmnl_sa_alloc failed");
	nl_addr_parse("198.51.100.1", AF_INET, &src);
	nl_addr_parse("198.51.100.2", AF_INET, &dst);
	xfrmnl_sa_set_saddr(sa, src);
	xfrmnl_sa_set_daddr(sa, dst);
	xfrmnl_sa_set_proto(sa, IPPROTO_ESP);
	xfrmnl_sa_set_spi(sa, spi);
	xfrmnl_sa_set_family(sa, AF_INET);
	xfrmnl_sa_set_mode(sa, XFRM_MODE_TUNNEL);
	if (t->aead) {
		xfrmnl_sa_set_aead_params(sa, t->aead, t->key_bits, t->icv_bits, (char *)key);
	} else {
		xfrmnl_sa_set_crypto_params(sa, t->enc, t->key_bits, (char *)key);
		xfrmnl_sa_set_auth_params(sa, t->auth, t->auth_bits, t->icv_bits, (char *)key);
	}
	if (t->esn) {
		uint32_t bmp[1] = { 0 };

		xfrmnl_sa_set_flags(sa, XFRM_STATE_ESN);
		xfrmnl_sa_set_replay_state_esn(sa, 0, 0, 0, 0, 32, 1, bmp);
	}
	r = xfrmnl_sa_add(s, sa, NLM_F_CREATE | NLM_F_EXCL);
	xfrmnl_sa_put(sa);
	nl_addr_put(src);
	nl_addr_put(dst);
	if (r < 0)
		return err_set("adding an ESP SA with %s%s%s%s: %s", t->aead ? t->aead : t->enc,
			       t->aead ? "" : " and ", t->aead ? "" : t->auth,
			       t->esn ? " (ESN)" : "", nl_geterror(r));
	return 0;
}

static int probe_in_scratch(char *why, size_t why_len)
{
	struct nl_sock *s = nl_socket_alloc();
	int r;

	if (!s)
		return err_set("nl_socket_alloc failed");
	r = nl_connect(s, NETLINK_XFRM);
	if (r < 0) {
		snprintf(why, why_len, "no xfrm netlink: %s", nl_geterror(r));
		nl_socket_free(s);
		return 0;
	}
	r = xfrm_add_test_sa(s, &xfrm_aes_gcm, 0x1000);
	snprintf(why, why_len, "%s", r < 0 ? err_msg() : "AES-GCM ESP SA installed");
	if (r < 0) {
		snprintf(why + strlen(why), why_len - strlen(why),
			 " (no ESP or no rfc4106(gcm(aes)) in this kernel)");
		err_clear();
	}
	nl_socket_free(s);
	return r < 0 ? 0 : 1;
}

int xfrm_probe_esp(char *why, size_t why_len)
{
	struct netns_switch sw;
	int r;

	/* A namespace that only this thread holds: it vanishes, SA and
	 * all, when the thread switches back. */
	sw.orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (sw.orig < 0)
		return err_sys("open own network namespace");
	if (unshare(CLONE_NEWNET) < 0) {
		err_sys("unshare(CLONE_NEWNET)");
		close(sw.orig);
		return -1;
	}
	r = probe_in_scratch(why, why_len);
	if (netns_leave(&sw) < 0)
		return -1;
	return r;
}
