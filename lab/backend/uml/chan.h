/*
 * chan.h - framed byte streams between ikelab processes.
 *
 * A user-mode Linux lab is reached through one serial line: a broker on the
 * host owns its descriptor, clients connect to the broker's unix socket, and
 * an agent inside the UML kernel runs the commands. All three speak these
 * frames, so any number of sessions (an `exec`, a `status`, a long `record`)
 * share the line:
 *
 *   u8 type | u32 session (network order) | u32 length | payload
 *
 * Descriptors are non-blocking; frames queue on both sides so that a slow
 * reader never blocks the broker's or the agent's loop.
 */
#ifndef IKELAB_CHAN_H
#define IKELAB_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

#define CHAN_HDR 9
#define CHAN_PAYLOAD_MAX (256 * 1024)

enum chan_type {
	CHAN_HELLO = 1, /* agent -> broker: up; payload: kernel release */
	CHAN_OPEN,      /* client -> agent: run ikelab; payload: struct below */
	CHAN_STDIN,
	CHAN_STDIN_EOF,
	CHAN_STDOUT,
	CHAN_STDERR,
	CHAN_EXIT,   /* agent -> client: payload: u32 wait status */
	CHAN_SIGNAL, /* client -> agent: payload: u32 signal number */
	CHAN_WINCH,  /* client -> agent: payload: u16 rows, u16 cols */
	CHAN_CLOSE,  /* either way: session is gone */
	CHAN_HALT,   /* client -> agent: power the UML kernel off */
	CHAN_ERROR,  /* broker -> client: payload: message */
};

struct chan_frame {
	uint8_t type;
	uint32_t session;
	uint32_t len;
	uint8_t *data; /* points into the channel's input buffer */
};

struct chan {
	int fd;
	struct strbuf in;  /* bytes received, not yet consumed */
	struct strbuf out; /* bytes queued, not yet written */
	size_t in_off;     /* consumed prefix of `in` */
	bool eof;
};

void chan_init(struct chan *c, int fd);
void chan_free(struct chan *c);
/* Queue a frame. */
void chan_put(struct chan *c, uint8_t type, uint32_t session, const void *data, size_t len);
/* Read what is available (non-blocking). -1 on error; sets c->eof on EOF. */
int chan_fill(struct chan *c);
/* Next complete frame, 1; none yet, 0; corrupt stream, -1. The frame's data
 * stays valid until the next chan_fill. */
int chan_next(struct chan *c, struct chan_frame *f);
/* Write what can be written now. -1 on error (peer gone). */
int chan_flush(struct chan *c);
bool chan_pending(const struct chan *c);
/* Block until everything queued is written, up to timeout_ms. */
int chan_drain(struct chan *c, int timeout_ms);
/* Block until a frame arrives, up to timeout_ms: 1, 0 on timeout, -1. */
int chan_wait(struct chan *c, struct chan_frame *f, int timeout_ms);

/* CHAN_OPEN payload: flags, terminal size, cwd, argv, all NUL-separated. */
#define CHAN_OPEN_TTY 1u
struct chan_open {
	uint32_t flags;
	uint16_t rows, cols;
	char *cwd;
	char **argv; /* NULL-terminated */
};
void chan_put_open(struct chan *c, uint32_t session, const struct chan_open *o);
/* Parse an OPEN payload; argv and cwd are allocated (chan_open_free). */
int chan_parse_open(const struct chan_frame *f, struct chan_open *o);
void chan_open_free(struct chan_open *o);

uint32_t chan_u32(const uint8_t *p);
void chan_put_u32(uint8_t *p, uint32_t v);

#endif
