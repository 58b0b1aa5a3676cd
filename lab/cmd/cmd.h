/*
 * cmd.h - what the command files of ikelab's command line share.
 *
 * main.c parses the command line into a struct cli and calls the command's
 * handler; each handler lives in the file of its family (labs.c: up, down,
 * status, exec; record.c: record, plot; runs.c: run, nightly, shrink;
 * host.c: bench). A handler returns the process's exit status and prints
 * its own error, through fail(), so that every command fails in one line.
 * The helpers here are the ones more than one family needs: option values
 * that must be numbers, the kernel a command runs on, the run directory a
 * command writes, and a UML lab seen from the host.
 */
#ifndef IKELAB_CMD_H
#define IKELAB_CMD_H

#include <stdbool.h>

struct cli {
	const char *cmd;
	const char *name;
	const char *topology, *peers, *kernel, *charon, *rounds;
	const char *duration, *rate, *out, *traffic, *grace, *seed, *seeds;
	const char *jobs, *baseline;
	bool json, all;
	char **pos;             /* positional arguments before "--" */
	int npos;
	char **rest;            /* after "--" */
	char **argv;            /* everything after the command, for forwarding */
};

/* Print err_msg() as "ikelab: MESSAGE"; returns the exit status 1. */
int fail(void);

/* Positive integer option, or -1 with err_msg(). */
long number(const char *opt, const char *val, long dflt, long max);
/* Decimal option within [min, max], or -1 with err_msg(). */
int decimal(const char *opt, const char *val, double dflt, double min, double max,
	    double *out);

/* The backend a command runs on: "host" or "uml" (static strings), or
 * NULL with err_msg() when --kernel is none of auto, host, uml. */
const char *pick_kernel(const struct cli *c);

/* Where a command writes (runs/NAME-DATE-TIME unless --out says), created
 * and absolute; the caller frees it. NULL with err_msg(). */
char *run_dir(const char *out, const char *name);

/* ---- a UML lab seen from the host ---- */
bool uml_is_lab_name(const char *name);
/* Run argv (ikelab's arguments) inside the lab: its exit status, or 1
 * after printing why it could not run. */
int remote_run_lab(const char *name, char *const argv[], int flags);
/* The command's own arguments with one option's value replaced (or
 * added); the array is the caller's to free, the strings stay owned by
 * the caller. */
char **forward_args(const struct cli *c, const char *opt, char *val);
/* On a UML lab seen from the host: run the same command inside, set *rc
 * and return true. */
bool forwarded(const struct cli *c, int flags, int *rc);

/* ---- the commands: each returns the exit status ---- */
int cmd_up(const struct cli *c);
int cmd_down(const struct cli *c);
int cmd_status(const struct cli *c);
int cmd_exec(const struct cli *c);
int cmd_record(const struct cli *c);
int cmd_plot(const struct cli *c);
int cmd_run(const struct cli *c);
int cmd_nightly(const struct cli *c);
int cmd_shrink(const struct cli *c);
int cmd_bench(const struct cli *c);

#endif
