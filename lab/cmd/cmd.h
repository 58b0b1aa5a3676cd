/*
 * cmd.h - what the command files of ikelab's command line share.
 *
 * The command line is a table, in the style of iproute2's ip/ip.c: main.c
 * lists every command once -- its name, its handler, the options it takes,
 * a one-line usage and a longer help -- and everything else is derived from
 * that entry: parsing refuses an option the command does not take (and
 * names the ones it does), `ikelab help CMD` and `ikelab CMD --help` print
 * the entry, `ikelab help` lists the table. One option name means one thing
 * everywhere (--out is always where output goes), so the options are one
 * list here and a command takes a set of them (OPT_* bits).
 *
 * The handlers live one file per family (labs.c: up, down, status, exec, ls;
 * record.c: record, plot; runs.c: run, nightly, shrink; host.c: doctor,
 * bench, version; charon.c: charon build, bisect, and --charon's value;
 * man.c: ikelab(1) made from the table; schema.c: schema; check.c: check;
 * completion.c: completion). A handler returns the process's exit status and prints
 * its own error through fail(), so that every command fails in one line.
 * The helpers below are the ones more than one family needs: option values
 * that must be numbers, the kernel a command runs on, the run directory a
 * command writes, and a UML lab seen from the host.
 *
 * Internal roles of the binary (PID 1 inside user-mode Linux, the kernel's
 * module loader there) are entries too, marked CMD_INTERNAL: they take
 * their argv unparsed, the overview does not show them, and started by
 * hand they say what they are and exit non-zero.
 */
#ifndef IKELAB_CMD_H
#define IKELAB_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifndef IKELAB_VERSION
#define IKELAB_VERSION "0.10.0"
#endif

/* The options; a command takes a set of them (opt_t: more than 32). */
typedef uint64_t opt_t;
#define OPT_C(x) ((opt_t)(x))
#define OPT_NAME (OPT_C(1) << 0)        /* --name LAB */
#define OPT_TOPOLOGY (OPT_C(1) << 1)    /* --topology FILE */
#define OPT_PEERS (OPT_C(1) << 2)       /* --peers FILE */
#define OPT_KERNEL (OPT_C(1) << 3)      /* --kernel auto|host|uml */
#define OPT_CHARON (OPT_C(1) << 4)      /* --charon PATH|VERSION|git:REV */
#define OPT_DURATION (OPT_C(1) << 5)    /* --duration S */
#define OPT_RATE (OPT_C(1) << 6)        /* --rate HZ */
#define OPT_TRAFFIC (OPT_C(1) << 7)     /* --traffic PPS */
#define OPT_GRACE (OPT_C(1) << 8)       /* --grace S */
#define OPT_ROUNDS (OPT_C(1) << 9)      /* --rounds N */
#define OPT_SEED (OPT_C(1) << 10)       /* --seed S */
#define OPT_SEEDS (OPT_C(1) << 11)      /* --seeds N */
#define OPT_JOBS (OPT_C(1) << 12)       /* --jobs J */
#define OPT_BASELINE (OPT_C(1) << 13)   /* --baseline FILE */
#define OPT_OUT (OPT_C(1) << 14)        /* --out DIR|FILE */
#define OPT_JSON (OPT_C(1) << 15)       /* --json */
#define OPT_ALL (OPT_C(1) << 16)        /* --all */
#define OPT_TRUST (OPT_C(1) << 17)      /* --trust: consent to what the files ask */
#define OPT_SOURCE (OPT_C(1) << 18)     /* --source GIT_REPO_OR_TREE */
#define OPT_GOOD (OPT_C(1) << 19)       /* --good REF */
#define OPT_BAD (OPT_C(1) << 20)        /* --bad REF */
#define OPT_FIXED (OPT_C(1) << 21)      /* --fixed */
#define OPT_FULL (OPT_C(1) << 22)       /* --full-duration: no early verdict */
#define OPT_SET (OPT_C(1) << 23)        /* --set PATH=VALUE: a scenario value replaced */
#define OPT_SHARD (OPT_C(1) << 24)      /* --shard I/N|auto|auto/N: a part of the night */
#define OPT_BUDGET (OPT_C(1) << 25)     /* --budget DURATION: seeds while they fit */
#define OPT_FRESH (OPT_C(1) << 26)      /* --fresh: no kernel reused between runs */
#define OPT_REPRODUCES (OPT_C(1) << 27) /* --reproduces: shrink writes a reproduction */
#define OPT_PROFILE (OPT_C(1) << 28)    /* --profile FILE: one the generator draws */
#define OPT_TRIALS (OPT_C(1) << 29)     /* --trials N */
#define OPT_KNOWN (OPT_C(1) << 30)      /* --known FILE: races not to call new */
#define OPT_INVARIANTS (OPT_C(1) << 31) /* --invariants LIST */
#define OPT_SHRINK (OPT_C(1) << 32)     /* --shrink-budget DURATION */
#define OPT_SCENARIO (OPT_C(1) << 33)   /* --scenario FILE: shrink this file */
#define OPT_SIGNATURE (OPT_C(1) << 34)  /* --signature ID: an explore group */

struct command;

/* The parsed command line. Its strings point into argv. */
struct cli {
	const struct command *cmd;   /* what to run (help's entry when none was named) */
	const struct command *table; /* the whole table (completion, help) */
	const char *word;            /* the command as typed, or NULL */
	bool help;                   /* -h/--help: print cmd's usage (the overview if NULL) */
	const char *name;            /* --name, 'lab' by default */
	const char *topology, *peers, *kernel, *charon, *rounds;
	const char *peers2; /* a second --peers: the second peer's profile */
	const char *duration, *rate, *out, *traffic, *grace, *seed, *seeds;
	const char *jobs, *baseline, *source, *good, *bad, *set, *shard, *budget;
	bool json, all, trust, fixed, full_duration, fresh, reproduces;
	const char *trials, *known, *invariants, *shrink_budget, *profile, *scenario;
	const char *signature;
	const char **charons; /* every --charon, in order (owned array) */
	int n_charons;
	const char **sets; /* every --set, in order (owned array) */
	int n_sets;
	const char **profiles; /* every --profile, in order (owned array) */
	int n_profiles;
	char **pos; /* positional arguments before "--" (owned) */
	int npos;
	char **rest; /* after "--" */
	char **argv; /* everything after the program name, for forwarding */
};

#define CMD_INTERNAL 1u /* a role of the binary, not a command: hidden */
#define CMD_BY_ARGV0 2u /* the role is chosen by argv[0] == name */

struct command {
	const char *name;
	int (*run)(const struct cli *c);    /* a command: the exit status */
	int (*role)(int argc, char **argv); /* an internal role: the whole argv */
	opt_t opts;                         /* OPT_* it takes */
	const char *usage;                  /* what follows the name, on one line */
	const char *summary;                /* one line for the overview */
	const char *help;                   /* more for `ikelab help NAME`, or NULL */
	unsigned flags;                     /* CMD_* */
	opt_t many;                         /* OPT_* it takes more than once */
};

/* ---- the table's machinery (cmd.c); a table ends with an entry whose
 * name is NULL ---- */

/* The entry called name, or NULL. */
const struct command *cmd_find(const struct command *table, const char *name);

/* The internal role argv asks for (argv[0] for CMD_BY_ARGV0 entries, else
 * argv[1]), or NULL: roles are chosen before anything is parsed. */
const struct command *cmd_role(const struct command *table, int argc, char **argv);

/* Parse argv into c (which cli_free releases, also after a failure).
 * Options may come anywhere before "--". -1 with err_msg() on a usage
 * error: an unknown command, an option the command does not take, an
 * option without its value, an option given twice that the command takes
 * once (one in `many` is collected: --charon into c->charons). */
int cmd_parse(const struct command *table, int argc, char **argv, struct cli *c);
void cli_free(struct cli *c);

/* Print a cmd_parse error as "ikelab CMD: MESSAGE"; returns the exit
 * status 1. */
int cmd_parse_fail(const struct cli *c);

/* "--name, --json" for a set of OPT_* bits (static buffer). */
const char *cmd_opt_names(opt_t opts);
/* One option's name ("--name"; static), or NULL for a bit no option has. */
const char *cmd_opt_name(opt_t bit);
/* Whether the option BIT is followed by a value (--name LAB) or is a flag. */
bool cmd_opt_takes_value(opt_t bit);

/* `ikelab help`: every command that is not internal. */
void cmd_overview(const struct command *table, FILE *f);
/* `ikelab help NAME`: the usage line, the summary and the help. */
void cmd_usage(const struct command *cmd, FILE *f);
/* ikelab(1) in roff (man.c): every command that is not internal, every
 * option, and the sections the table does not hold. */
void cmd_man(const struct command *table, FILE *f);

/* ---- helpers of the handlers ---- */

/* Print err_msg() as "ikelab: MESSAGE"; returns the exit status 1. */
int fail(void);
/* A command's arguments did not fit: "ikelab: usage: ikelab CMD ...";
 * returns the exit status 1. */
int usage_fail(const struct cli *c);

/* Positive integer option, or -1 with err_msg(). */
long number(const char *opt, const char *val, long dflt, long max);
/* Decimal option within [min, max], or -1 with err_msg(). */
int decimal(const char *opt, const char *val, double dflt, double min, double max, double *out);

/* The backend a command runs on: "host" or "uml" (static strings), or
 * NULL with err_msg() when --kernel is none of auto, host, uml. */
const char *pick_kernel(const struct cli *c);

/* Where a command writes (runs/NAME-DATE-TIME unless --out says), created
 * and absolute; the caller frees it. NULL with err_msg(). */
char *run_dir(const char *out, const char *name);

/* --charon as the binary the lab's peers run (charon.c): a version or
 * git:REV built first, with progress on stderr (charon/build.h); a path
 * as it is. *path is the caller's to free, NULL when --charon was not
 * given. -1 with err_msg(). */
int charon_arg(const struct cli *c, char **path);
/* charon_arg, and -1 with err_msg() when the binary is not an executable
 * file (what runs, sweeps and shrinks start labs with; `up` and
 * `--version` say so their own way). */
int charon_arg_checked(const struct cli *c, char **path);
/* The same for one value (charon_arg is this of --charon). */
int charon_value(const char *value, char **path);
/* Every --charon in turn (a version matrix, explore's versions): *paths
 * gets an array of c->n_charons + 1 (the caller frees it and each path),
 * *n how many were resolved; -1 with err_msg() at the first that fails
 * or is not an executable file, those before it resolved. */
int charon_values(const struct cli *c, char ***paths, int *n);

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
int cmd_explore(const struct cli *c);
int cmd_sweep(const struct cli *c);
int cmd_import(const struct cli *c);
int cmd_schema(const struct cli *c);
int cmd_doctor(const struct cli *c);
int cmd_bench(const struct cli *c);
int cmd_version(const struct cli *c);
int cmd_charon(const struct cli *c);
int cmd_bisect(const struct cli *c);
int cmd_check(const struct cli *c);
int cmd_ls(const struct cli *c);
int cmd_completion(const struct cli *c);

/* ---- internal roles (CMD_INTERNAL): the whole argv ---- */
int uml_pool_main(int argc, char **argv);

#endif
