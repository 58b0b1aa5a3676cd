#include "backend/uml/chan.h"
#include "base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint32_t chan_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void chan_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

void chan_init(struct chan *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void chan_free(struct chan *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	sb_free(&c->in);
	sb_free(&c->out);
}

void chan_put(struct chan *c, uint8_t type, uint32_t session, const void *data, size_t len)
{
	uint8_t hdr[CHAN_HDR];
	const uint8_t *p = data;

	/* Large payloads (a burst of output) go out as several frames. */
	do {
		size_t n = len > CHAN_PAYLOAD_MAX ? CHAN_PAYLOAD_MAX : len;

		hdr[0] = type;
		chan_put_u32(hdr + 1, session);
		chan_put_u32(hdr + 5, (uint32_t)n);
		sb_add(&c->out, hdr, sizeof(hdr));
		/* An empty frame may come with data == NULL: no arithmetic on it. */
		if (n) {
			sb_add(&c->out, p, n);
			p += n;
			len -= n;
		}
	} while (len > 0);
}

int chan_fill(struct chan *c)
{
	char buf[65536];

	/* Drop the consumed prefix before reading more. */
	if (c->in_off) {
		memmove(c->in.buf, c->in.buf + c->in_off, c->in.len - c->in_off);
		c->in.len -= c->in_off;
		c->in_off = 0;
	}
	for (;;) {
		ssize_t n = read(c->fd, buf, sizeof(buf));

		if (n > 0) {
			sb_add(&c->in, buf, (size_t)n);
			if (c->in.len > 4 * CHAN_PAYLOAD_MAX)
				return 0; /* let the caller consume first */
			continue;
		}
		if (n == 0) {
			c->eof = true;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == EIO || errno == ECONNRESET) {
			c->eof = true;
			return 0;
		}
		return err_sys("read channel");
	}
}

int chan_next(struct chan *c, struct chan_frame *f)
{
	size_t avail = c->in.len - c->in_off;
	uint8_t *p;
	uint32_t len;

	/* Nothing read yet means no buffer yet (NULL): test before using it. */
	if (avail < CHAN_HDR)
		return 0;
	p = (uint8_t *)c->in.buf + c->in_off;
	len = chan_u32(p + 5);
	if (len > CHAN_PAYLOAD_MAX || p[0] < CHAN_HELLO || p[0] > CHAN_ERROR)
		return err_set("corrupt frame on channel (type %u, length %u)", p[0], len);
	if (avail < CHAN_HDR + len)
		return 0;
	f->type = p[0];
	f->session = chan_u32(p + 1);
	f->len = len;
	f->data = p + CHAN_HDR;
	c->in_off += CHAN_HDR + len;
	return 1;
}

int chan_flush(struct chan *c)
{
	size_t off = 0;

	while (off < c->out.len) {
		ssize_t n = write(c->fd, c->out.buf + off, c->out.len - off);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		return err_sys("write channel");
	}
	if (off) {
		memmove(c->out.buf, c->out.buf + off, c->out.len - off);
		c->out.len -= off;
	}
	return 0;
}

bool chan_pending(const struct chan *c)
{
	return c->out.len > 0;
}

int chan_drain(struct chan *c, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;

	for (;;) {
		struct pollfd p = { c->fd, POLLOUT, 0 };
		int64_t left;

		if (chan_flush(c) < 0)
			return -1;
		if (!chan_pending(c))
			return 0;
		left = (deadline - mono_ns()) / 1000000;
		if (left <= 0)
			return err_set("timed out writing to channel");
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return err_sys("poll channel");
	}
}

int chan_wait(struct chan *c, struct chan_frame *f, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;

	for (;;) {
		struct pollfd p = { c->fd, POLLIN, 0 };
		int64_t left;
		int r = chan_next(c, f);

		if (r != 0)
			return r;
		if (c->eof)
			return err_set("channel closed");
		left = (deadline - mono_ns()) / 1000000;
		if (left <= 0)
			return 0;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return err_sys("poll channel");
		if (chan_fill(c) < 0)
			return -1;
	}
}

void chan_put_open(struct chan *c, uint32_t session, const struct chan_open *o)
{
	struct strbuf sb = { 0 };
	uint8_t head[8];

	chan_put_u32(head, o->flags);
	head[4] = o->rows >> 8;
	head[5] = o->rows & 0xff;
	head[6] = o->cols >> 8;
	head[7] = o->cols & 0xff;
	sb_add(&sb, head, sizeof(head));
	sb_add(&sb, o->cwd, strlen(o->cwd) + 1);
	for (char **a = o->argv; *a; a++)
		sb_add(&sb, *a, strlen(*a) + 1);
	chan_put(c, CHAN_OPEN, session, sb.buf, sb.len);
	sb_free(&sb);
}

int chan_parse_open(const struct chan_frame *f, struct chan_open *o)
{
	const char *p, *end;
	size_t n = 0;

	memset(o, 0, sizeof(*o));
	if (f->len < 9 || f->data[f->len - 1] != '\0')
		return err_set("malformed OPEN frame");
	o->flags = chan_u32(f->data);
	o->rows = (uint16_t)(f->data[4] << 8 | f->data[5]);
	o->cols = (uint16_t)(f->data[6] << 8 | f->data[7]);
	p = (const char *)f->data + 8;
	end = (const char *)f->data + f->len;
	o->cwd = xstrdup(p);
	p += strlen(p) + 1;
	for (const char *q = p; q < end; q += strlen(q) + 1)
		n++;
	if (n == 0) {
		chan_open_free(o);
		return err_set("OPEN frame without a command");
	}
	o->argv = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		o->argv[i] = xstrdup(p);
		p += strlen(p) + 1;
	}
	return 0;
}

void chan_open_free(struct chan_open *o)
{
	if (o->argv)
		for (char **a = o->argv; *a; a++)
			free(*a);
	free(o->argv);
	free(o->cwd);
	memset(o, 0, sizeof(*o));
}
