/*
 * fuzz_chan.c - the frames ikelab processes exchange over a UML serial
 * line (chan.h), as the broker and the agent read them: bytes arrive
 * through a pipe in chunks (chan_fill), frames are taken off the buffer
 * (chan_next), OPEN payloads are parsed (chan_parse_open).
 *
 * Input: the first byte seeds the chunk sizes, the rest is the byte
 * stream. An OPEN frame that parses is encoded again with
 * chan_put_open(), which must give back the same payload.
 */
#include "backend/uml/chan.h"
#include "base/err.h"
#include "base/util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int pipefd[2] = { -1, -1 };

static void open_again(const struct chan_frame *f)
{
	struct chan out = { .fd = -1 };
	struct chan_open o;
	struct chan_frame g;
	size_t n = 0;

	if (chan_parse_open(f, &o) < 0) {
		CHECK(err_msg()[0]);
		return;
	}
	CHECK(o.cwd && o.argv && o.argv[0]);
	while (o.argv[n])
		n++;
	chan_put_open(&out, 7, &o);
	CHECK(out.out.len == CHAN_HDR + f->len);
	CHECK(!memcmp(out.out.buf + CHAN_HDR, f->data, f->len));
	/* And parsed from there, the same again. */
	out.in = out.out;
	out.out = (struct strbuf){ 0 };
	CHECK(chan_next(&out, &g) == 1 && g.type == CHAN_OPEN && g.session == 7);
	chan_open_free(&o);
	CHECK(chan_parse_open(&g, &o) == 0);
	chan_open_free(&o);
	sb_free(&out.in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char drain[4096];
	struct chan c;
	struct chan_frame f;
	uint32_t seed;
	size_t off = 0;
	int r = 0;

	if (pipefd[0] < 0) {
		if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
			abort();
		fcntl(pipefd[1], F_SETPIPE_SZ, 1 << 20);
	}
	if (size < 1)
		return 0;
	seed = data[0] * 2654435761u + 1;
	data++;
	size--;
	memset(&c, 0, sizeof(c));
	c.fd = pipefd[0];
	while (off < size && r >= 0) {
		size_t chunk;
		ssize_t w;

		seed = seed * 1103515245u + 12345u;
		chunk = 1 + (seed >> 16) % 64;
		if (chunk > size - off)
			chunk = size - off;
		w = write(pipefd[1], data + off, chunk);
		CHECK(w == (ssize_t)chunk);
		off += chunk;
		CHECK(chan_fill(&c) == 0 && !c.eof);
		while ((r = chan_next(&c, &f)) == 1) {
			CHECK(f.type >= CHAN_HELLO && f.type <= CHAN_ERROR);
			CHECK(f.len <= CHAN_PAYLOAD_MAX);
			CHECK(f.data >= (uint8_t *)c.in.buf &&
			      f.data + f.len <= (uint8_t *)c.in.buf + c.in.len);
			if (f.type == CHAN_OPEN)
				open_again(&f);
		}
		if (r < 0)
			CHECK(strstr(err_msg(), "corrupt frame"));
	}
	/* Whatever a corrupt stream left in the pipe. */
	while (read(pipefd[0], drain, sizeof(drain)) > 0)
		;
	sb_free(&c.in);
	sb_free(&c.out);
	err_clear();
	return 0;
}
