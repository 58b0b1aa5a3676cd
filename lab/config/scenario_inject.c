/*
 * scenario_inject.c - the schedule's `inject` entries: what the loader
 * checks of them, and the IKE message (kernel/ikemsg.h) each stands for,
 * which the runner sends (schedule/actions.c).
 */
#include "config/scenario.h"
#include "base/err.h"
#include "base/util.h"
#include "config/scenario-internal.h"
#include "config/yamlcheck.h"
#include "kernel/ikemsg.h"

#include <stdlib.h>
#include <string.h>

#define INJECT_COUNT_MAX 1000
#define FLAG_INITIATOR 0x08
#define FLAG_RESPONSE 0x20

/* A drawn SPI is never 0: 0 means "no SPI" to a responder. */
static uint64_t draw_spi(uint64_t *state)
{
	uint64_t v;

	do
		v = sc_rand(state);
	while (!v);
	return v;
}

int sc_inject_msg(const struct sc_entry *e, uint64_t *rand, struct ikemsg *m, uint8_t **body)
{
	uint8_t exchange = 34;

	memset(m, 0, sizeof(*m));
	*body = NULL;
	if ((e->exchange && ikemsg_exchange(e->exchange, &exchange) < 0) ||
	    (e->spi_i && ikemsg_spi(e->spi_i, &m->spi_i) < 0) ||
	    (e->spi_r && ikemsg_spi(e->spi_r, &m->spi_r) < 0) ||
	    (e->body && ikemsg_hex(e->body, body, &m->body_len) < 0))
		return -1;
	if (!e->spi_i)
		m->spi_i = draw_spi(rand);
	m->rand = sc_rand(rand);
	m->exchange = exchange;
	m->flags = e->flags ? (uint8_t)*e->flags : FLAG_INITIATOR;
	m->version = e->version ? (uint8_t)*e->version : 0x20;
	m->message_id = e->message_id ? *e->message_id : 0;
	/* An IKE_SA_INIT request without payloads named gets the three a
	 * responder needs to answer it; anything else gets what it says. */
	m->payloads =
		e->payloads ? e->payloads
		: (exchange == 34 && !(m->flags & FLAG_RESPONSE) && !e->body && !e->next_payload)
			? "SA KE No"
			: "";
	m->body = *body;
	m->next_payload = e->next_payload ? (int)*e->next_payload : -1;
	m->length = e->length;
	m->natt = e->port && *e->port == 4500;
	return 0;
}

static int want_byte(const struct ydoc *d, unsigned i, const char *key, const uint32_t *v)
{
	char path[YPATH_LEN];

	if (v && *v > 255)
		return ydoc_err(d, ypath(path, "schedule[%u].%s", i, key),
				"%u does not fit the header's byte (0 to 255)", *v);
	return 0;
}

/* The sender is any node but the peer it sends to. */
static int check_node(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	char path[YPATH_LEN];

	ypath(path, "schedule[%u].node", i);
	if (!topo_node_find(s->topo, e->node))
		return ydoc_err(d, path, "topology %s has no node named '%s'", s->topo->name,
				e->node);
	if (!strcmp(e->node, e->peer) ||
	    (!strcmp(e->peer, "both") && topo_node_find(s->topo, e->node)->role == NODE_PEER))
		return ydoc_err(d, path,
				"'%s' would send to itself: inject goes from one node "
				"to a peer",
				e->node);
	return 0;
}

static int check_numbers(const struct sc_entry *e, const struct ydoc *d, unsigned i)
{
	char path[YPATH_LEN];

	if (e->port && *e->port != 500 && *e->port != 4500)
		return ydoc_err(d, ypath(path, "schedule[%u].port", i),
				"%u is not an IKE port: 500 or 4500", *e->port);
	if (e->count && (*e->count < 1 || *e->count > INJECT_COUNT_MAX))
		return ydoc_err(d, ypath(path, "schedule[%u].count", i),
				"%u messages: from 1 to %d", *e->count, INJECT_COUNT_MAX);
	if (want_byte(d, i, "flags", e->flags) < 0 || want_byte(d, i, "version", e->version) < 0 ||
	    want_byte(d, i, "next_payload", e->next_payload) < 0)
		return -1;
	if (e->next_payload && e->payloads)
		return ydoc_err(d, ypath(path, "schedule[%u].next_payload", i),
				"next_payload is the header's only without payloads: the "
				"first of them names itself");
	return 0;
}

/* Each text field on its own, so that the message names it. */
static int check_texts(const struct sc_entry *e, const struct ydoc *d, unsigned i)
{
	char path[YPATH_LEN];
	uint64_t spi;
	uint8_t x, *b;
	size_t n;

	if (e->exchange && ikemsg_exchange(e->exchange, &x) < 0)
		return ydoc_err(d, ypath(path, "schedule[%u].exchange", i), "%s", err_msg());
	if (e->spi_i && ikemsg_spi(e->spi_i, &spi) < 0)
		return ydoc_err(d, ypath(path, "schedule[%u].spi_i", i), "%s", err_msg());
	if (e->spi_r && ikemsg_spi(e->spi_r, &spi) < 0)
		return ydoc_err(d, ypath(path, "schedule[%u].spi_r", i), "%s", err_msg());
	if (e->payloads && ikemsg_check_payloads(e->payloads) < 0)
		return ydoc_err(d, ypath(path, "schedule[%u].payloads", i), "%s", err_msg());
	if (e->body) {
		if (ikemsg_hex(e->body, &b, &n) < 0)
			return ydoc_err(d, ypath(path, "schedule[%u].body", i), "%s", err_msg());
		free(b);
	}
	return 0;
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int k = bytes - 1; k >= 0; k--, v >>= 8)
		p[k] = (uint8_t)v;
}

uint8_t *sc_replay_msg(const struct sc_entry *e, const uint8_t *msg, size_t len, size_t *out_len)
{
	bool natt = e->port && *e->port == 4500;
	uint8_t *out = xmalloc(len + 4), *h = out + (natt ? 4 : 0);
	uint64_t spi;
	uint8_t x;

	memset(out, 0, 4);
	memcpy(h, msg, len);
	if (e->spi_i && ikemsg_spi(e->spi_i, &spi) == 0)
		put_be(h, spi, 8);
	if (e->spi_r && ikemsg_spi(e->spi_r, &spi) == 0)
		put_be(h + 8, spi, 8);
	if (e->version)
		h[17] = (uint8_t)*e->version;
	if (e->exchange && ikemsg_exchange(e->exchange, &x) == 0)
		h[18] = x;
	if (e->flags)
		h[19] = (uint8_t)*e->flags;
	if (e->message_id)
		put_be(h + 20, *e->message_id, 4);
	if (e->length)
		put_be(h + 24, *e->length, 4);
	*out_len = len + (natt ? 4 : 0);
	return out;
}

/* A replay sends what a capture rule of the fault wire took, with the
 * header fields it gives rewritten: no payloads of its own. */
static int check_replay(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	char path[YPATH_LEN];

	for (unsigned k = 0; k < s->faults_count; k++)
		if (!strcmp(s->faults[k].name, e->replay) &&
		    !strcmp(s->faults[k].action, "capture")) {
			if (e->payloads || e->body || e->next_payload)
				return ydoc_err(d, ypath(path, "schedule[%u].replay", i),
						"a replay sends the captured message: it takes "
						"no payloads, body or next_payload");
			return 0;
		}
	return ydoc_err(d, ypath(path, "schedule[%u].replay", i),
			"no fault rule named '%s' captures (action: capture)", e->replay);
}

int sc_check_inject(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	char path[YPATH_LEN];
	uint64_t rand = 1;
	struct ikemsg m;
	uint8_t *body, *buf;
	size_t len;
	int r;

	if (check_node(s, d, i) < 0 || check_numbers(e, d, i) < 0 || check_texts(e, d, i) < 0)
		return -1;
	if (e->replay)
		return check_replay(s, d, i);
	/* What is left is the whole message's size. */
	r = sc_inject_msg(e, &rand, &m, &body) < 0 ? -1 : ikemsg_build(&m, &buf, &len);
	free(body);
	if (r < 0)
		return ydoc_err(d, ypath(path, "schedule[%u]", i), "%s", err_msg());
	free(buf);
	return 0;
}
