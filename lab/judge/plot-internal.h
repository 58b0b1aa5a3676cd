/*
 * plot-internal.h - what the three files of the plot module share: the
 * run as read from its directory (struct run), and the calls between them.
 *
 *   plot_data.c    reads the run directory (timeline.csv, children.csv,
 *                  traffic.csv, events.jsonl, summary.json) into a struct run, and
 *                  writes the data files gnuplot reads under .plot/;
 *   plot_script.c  writes timeline.gp: the panels, marks, shading, keys
 *                  and labels, referring to those data files by block;
 *   plot.c         plot_run(): the three steps in order, and running
 *                  gnuplot on the script.
 *
 * struct run is filled by plot_load() and only read afterwards, except
 * for the block numbers (flow.block, run.mark_block) that
 * plot_write_data() assigns (flow.block, kid.block, run.mark_block) and
 * plot_script() refers to. Peer names never
 * reach the data files (blocks are selected by index), so only the quoted
 * titles in the script have to cope with odd names. Everything a struct
 * run points to belongs to it and is freed by plot_run_free().
 */
#ifndef IKELAB_PLOT_INTERNAL_H
#define IKELAB_PLOT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/util.h"

/* A growing array of doubles. */
struct dvec {
	double *v;
	size_t n, cap;
};

/* One timeline row, reduced to what is drawn. */
enum {
	S_T,
	S_IKE,
	S_IKE_EST,
	S_CHILD,
	S_CHILD_TS,
	S_CHILD_ALL,
	S_COLS
};

struct peer {
	char *name;
	struct dvec rows;    /* S_COLS values per sample */
	double est0;         /* IKE_SAs established in the first sample */
	bool seeded;         /* est0 has been turned into anonymous IKE_SAs */
	bool per_ts_differs; /* max installed per TS pair != installed */
};

/* One CHILD_SA name of one peer (children.csv), drawn as a line of its
 * own when the peer has several. */
struct kid {
	size_t peer; /* index in run.peers */
	char *name;
	struct dvec pts; /* (t, installed) pairs */
	int block;       /* block in children.dat, -1 when not drawn */
};

struct flow {
	char *dir;        /* "alice>bob" */
	struct dvec lost; /* (interval start, lost) where lost > 0 */
	double tx, total, max;
	int block; /* block in loss.dat, -1 without losses */
};

enum mark_kind {
	MARK_ACQUIRE,
	MARK_CHILD_REKEY,
	MARK_IKE_REKEY,
	MARK_NEW_IKE,
	MARK_EXIT,
	MARK_KINDS,
};

struct note {
	double t;
	char *text;
};

struct span {
	double start, end; /* end < 0: to the end of the run */
	bool ike;
};

/* An IKE_SA a peer has up. remote and id are NULL for SAs that were up
 * before the recording started: only their number is known. */
struct ike_up {
	size_t peer;
	char *remote, *id;
};

/* A run directory, as much of it as the picture shows. */
struct run {
	char *dir;          /* the run directory, without trailing slashes */
	struct peer *peers; /* from timeline.csv, in order of appearance */
	size_t npeers;
	struct kid *kids; /* from children.csv (runs before it had none) */
	size_t nkids;
	struct flow *flows; /* from traffic.csv, one per probe direction */
	size_t nflows;
	struct dvec marks[MARK_KINDS]; /* event times, from events.jsonl */
	int mark_block[MARK_KINDS];    /* block in marks.dat, -1 without marks */
	struct note *exits;            /* charon exits, labelled in the IKE panel */
	size_t nexits;
	struct span *spans; /* duplicates, from summary.json */
	size_t nspans;
	struct ike_up *ups; /* IKE_SAs up, only while reading events */
	size_t nups;
	char *lab, *verdict, *lab_error; /* for the title; NULL: unknown */
	double duration, xmax;           /* seconds; xmax: the end of the x axis */
	long duplicates;                 /* -1: unknown, no summary.json */
};

/* ---- plot_data.c ---- */

/* run->dir/name; the caller frees it. */
char *plot_run_path(const struct run *r, const char *name);
/* The next line of a buffer, terminated in place; NULL at the end. */
char *plot_next_line(char **cur);
/* Read r->dir into r, which holds only dir (and duplicates = -1); 0, or
 * -1 with err_msg() naming the file and line at fault. The files are read
 * with read_file_beneath (base/file.h): a link below r->dir, a FIFO or
 * a file over 1 GiB is refused, not followed or waited for. */
int plot_load(struct run *r);
/* Write r->dir/.plot/{counts,children,loss,marks}.dat and number their
 * blocks in r; 0, or -1 with err_msg(). */
int plot_write_data(struct run *r);
/* How many CHILD_SA names peer P had (its own lines from 2 on). */
size_t plot_peer_kids(const struct run *r, size_t p);
/* Free everything r points to (not r itself). */
void plot_run_free(struct run *r);

/* ---- plot_script.c ---- */

/* Append timeline.gp for r (after plot_write_data) to sb. */
void plot_script(struct strbuf *sb, const struct run *r);

#endif
