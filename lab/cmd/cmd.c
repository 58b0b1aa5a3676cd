/*
 * cmd.c - the command table's machinery (parsing against a command's
 * options, the overview and one command's usage) and the helpers the
 * command files share (see cmd.h).
 */
#include "cmd/cmd.h"
#include "backend/doctor.h"
#include "backend/state.h"
#include "backend/uml/remote.h"
#include "backend/uml/uml.h"
#include "base/err.h"
#include "base/util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the options ------------------------------------------------------------ */

static const struct option {
	opt_t bit;
	const char *name;
	size_t off; /* of its value in struct cli */
	bool flag;  /* a bool, and no value follows */
} options[] = {
	{ OPT_NAME, "--name", offsetof(struct cli, name), false },
	{ OPT_TOPOLOGY, "--topology", offsetof(struct cli, topology), false },
	{ OPT_PEERS, "--peers", offsetof(struct cli, peers), false },
	{ OPT_KERNEL, "--kernel", offsetof(struct cli, kernel), false },
	{ OPT_CHARON, "--charon", offsetof(struct cli, charon), false },
	{ OPT_DURATION, "--duration", offsetof(struct cli, duration), false },
	{ OPT_RATE, "--rate", offsetof(struct cli, rate), false },
	{ OPT_TRAFFIC, "--traffic", offsetof(struct cli, traffic), false },
	{ OPT_GRACE, "--grace", offsetof(struct cli, grace), false },
	{ OPT_ROUNDS, "--rounds", offsetof(struct cli, rounds), false },
	{ OPT_SEED, "--seed", offsetof(struct cli, seed), false },
	{ OPT_SEEDS, "--seeds", offsetof(struct cli, seeds), false },
	{ OPT_JOBS, "--jobs", offsetof(struct cli, jobs), false },
	{ OPT_BASELINE, "--baseline", offsetof(struct cli, baseline), false },
	{ OPT_OUT, "--out", offsetof(struct cli, out), false },
	{ OPT_JSON, "--json", offsetof(struct cli, json), true },
	{ OPT_ALL, "--all", offsetof(struct cli, all), true },
	{ OPT_TRUST, "--trust", offsetof(struct cli, trust), true },
	{ OPT_SOURCE, "--source", offsetof(struct cli, source), false },
	{ OPT_GOOD, "--good", offsetof(struct cli, good), false },
	{ OPT_BAD, "--bad", offsetof(struct cli, bad), false },
	{ OPT_FIXED, "--fixed", offsetof(struct cli, fixed), true },
	{ OPT_FULL, "--full-duration", offsetof(struct cli, full_duration), true },
	{ OPT_SET, "--set", offsetof(struct cli, set), false },
	{ OPT_SHARD, "--shard", offsetof(struct cli, shard), false },
	{ OPT_BUDGET, "--budget", offsetof(struct cli, budget), false },
	{ OPT_FRESH, "--fresh", offsetof(struct cli, fresh), true },
	{ OPT_REPRODUCES, "--reproduces", offsetof(struct cli, reproduces), true },
	{ OPT_PROFILE, "--profile", offsetof(struct cli, profile), false },
	{ OPT_TRIALS, "--trials", offsetof(struct cli, trials), false },
	{ OPT_KNOWN, "--known", offsetof(struct cli, known), false },
	{ OPT_INVARIANTS, "--invariants", offsetof(struct cli, invariants), false },
	{ OPT_SHRINK, "--shrink-budget", offsetof(struct cli, shrink_budget), false },
	{ OPT_SCENARIO, "--scenario", offsetof(struct cli, scenario), false },
	{ OPT_SIGNATURE, "--signature", offsetof(struct cli, signature), false },
};

static const struct option *option_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(options); i++)
		if (!strcmp(options[i].name, name))
			return &options[i];
	return NULL;
}

static bool is_option(const char *a)
{
	return a[0] == '-' && a[1];
}

static bool is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help");
}

const char *cmd_opt_names(opt_t opts)
{
	static char buf[256];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(options); i++)
		if (opts & options[i].bit)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? ", " : "",
					      options[i].name);
	return buf;
}

const char *cmd_opt_name(opt_t bit)
{
	for (size_t i = 0; i < ARRAY_LEN(options); i++)
		if (options[i].bit == bit)
			return options[i].name;
	return NULL;
}

bool cmd_opt_takes_value(opt_t bit)
{
	for (size_t i = 0; i < ARRAY_LEN(options); i++)
		if (options[i].bit == bit)
			return !options[i].flag;
	return false;
}

/* ---- the table -------------------------------------------------------------- */

const struct command *cmd_find(const struct command *table, const char *name)
{
	for (const struct command *c = table; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

const struct command *cmd_role(const struct command *table, int argc, char **argv)
{
	for (const struct command *c = table; c->name; c++) {
		if (!(c->flags & CMD_INTERNAL) || !c->role)
			continue;
		if (c->flags & CMD_BY_ARGV0 ? argc >= 1 && !strcmp(argv[0], c->name)
					    : argc >= 2 && !strcmp(argv[1], c->name))
			return c;
	}
	return NULL;
}

/* ---- parsing ---------------------------------------------------------------- */

/* A value follows, and is not itself an option. */
static int need_value(int argc, char **argv, int i)
{
	if (i + 1 >= argc || !strncmp(argv[i + 1], "--", 2))
		return err_set("option %s needs a value", argv[i]);
	return 0;
}

/* Where the command word is: the first argument before "--" that is
 * neither an option nor the value of one; 0 when there is none. Options
 * unknown to every command are taken to have no value. */
static int command_word(int argc, char **argv, bool *help)
{
	int word = 0;

	*help = false;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const struct option *o = option_find(argv[i]);

		if (is_help(argv[i]))
			*help = true;
		else if (o && !o->flag && i + 1 < argc && strncmp(argv[i + 1], "--", 2))
			i++;
		else if (!is_option(argv[i]) && !word)
			word = i;
	}
	return word;
}

/* Why option a is refused: what the command takes instead, or that no
 * command was named. */
static int refuse(const struct cli *c, const char *a)
{
	if (!c->word)
		return err_set("unknown option '%s' without a command (see 'ikelab --help')", a);
	if (!(c->cmd->opts))
		return err_set("unknown option '%s' (%s takes no options)", a, c->cmd->name);
	return err_set("unknown option '%s' (%s takes: %s)", a, c->cmd->name,
		       cmd_opt_names(c->cmd->opts));
}

/* An option seen again: collected when the command takes it many times
 * (--charon and --set are collected), refused otherwise -- the last one
 * silently winning hides a typo in a long command line. */
static int again(struct cli *c, const struct option *o, const char *value, opt_t *seen)
{
	/* --peers twice: the first peer's profile, then the second's. */
	if (o->bit == OPT_PEERS && (*seen & o->bit) && (c->cmd->many & o->bit)) {
		if (c->peers2)
			return err_set("option --peers given three times (once, or once per peer)");
		c->peers2 = value;
		return 0;
	}
	if ((*seen & o->bit) && !(c->cmd->many & o->bit))
		return err_set("option %s given twice (%s takes it once)", o->name, c->cmd->name);
	*seen |= o->bit;
	if (o->bit == OPT_CHARON)
		c->charons[c->n_charons++] = value;

	if (o->bit == OPT_SET)
		c->sets[c->n_sets++] = value;
	if (o->bit == OPT_PROFILE)
		c->profiles[c->n_profiles++] = value;
	return 0;
}

static int parse_options(struct cli *c, int argc, char **argv, int word)
{
	opt_t seen = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct option *o;

		if (!strcmp(a, "--")) {
			c->rest = argv + i + 1;
			break;
		}
		if (i == word)
			continue;
		if (!is_option(a)) {
			c->pos[c->npos++] = argv[i];
			continue;
		}
		/* --version names the command when none is named. */
		if (!c->word && !strcmp(a, "--version"))
			continue;
		o = option_find(a);
		if (!o || !(c->cmd->opts & o->bit))
			return refuse(c, a);
		if (o->flag) {
			*(bool *)((char *)c + o->off) = true;
			continue;
		}
		if (need_value(argc, argv, i) < 0)
			return -1;
		/* The first of many is the option's value. */
		if (!(seen & o->bit))
			*(const char **)((char *)c + o->off) = argv[i + 1];
		if (again(c, o, argv[i + 1], &seen) < 0)
			return -1;
		i++;
	}
	return 0;
}

int cmd_parse(const struct command *table, int argc, char **argv, struct cli *c)
{
	int word;

	memset(c, 0, sizeof(*c));
	c->name = LAB_DEFAULT_NAME;
	c->pos = xcalloc((size_t)argc + 1, sizeof(char *));
	c->charons = xcalloc((size_t)argc + 1, sizeof(char *));
	c->sets = xcalloc((size_t)argc + 1, sizeof(char *));
	c->profiles = xcalloc((size_t)argc + 1, sizeof(char *));
	c->argv = argv + 1;
	c->table = table;
	word = command_word(argc, argv, &c->help);
	if (word) {
		c->word = argv[word];
		c->cmd = cmd_find(table, c->word);
		if (!c->cmd)
			return err_set("unknown command '%s' (see 'ikelab --help')", c->word);
	}
	/* Help is help, whatever else the line says; a role's name typed as
	 * a command is refused as such. */
	if (c->help || (c->cmd && c->cmd->flags & CMD_INTERNAL))
		return 0;
	if (!c->cmd) {
		for (int i = 1; i < argc && strcmp(argv[i], "--") && !c->cmd; i++)
			if (!strcmp(argv[i], "--version"))
				c->cmd = cmd_find(table, "version");
		if (!c->cmd)
			c->cmd = cmd_find(table, "help");
	}
	return parse_options(c, argc, argv, word);
}

void cli_free(struct cli *c)
{
	free(c->pos);
	free(c->charons);
	free(c->sets);
	free(c->profiles);
	c->pos = NULL;
	c->charons = NULL;
	c->sets = NULL;
	c->profiles = NULL;
}

int cmd_parse_fail(const struct cli *c)
{
	if (c->word && c->cmd)
		fprintf(stderr, "ikelab %s: %s\n", c->cmd->name, err_msg());
	else
		fprintf(stderr, "ikelab: %s\n", err_msg());
	return 1;
}

/* ---- help ------------------------------------------------------------------- */

#define HELP_WIDTH 79
#define HELP_INDENT 11 /* "  NAME     " */

/* text from column col on, wrapped at HELP_WIDTH between bracketed groups
 * ("[--name LAB]" stays whole), continuation lines at column indent. */
static void wrap(FILE *f, const char *text, int col, int indent)
{
	const char *p = text;

	while (*p) {
		const char *end = p;
		int depth = 0;

		/* One group: up to a space outside brackets. */
		while (*end && (depth > 0 || *end != ' ')) {
			depth += *end == '[' ? 1 : *end == ']' ? -1 : 0;
			end++;
		}
		if (col > indent && col + 1 + (int)(end - p) > HELP_WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (p != text) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)(end - p), p);
		col += (int)(end - p);
		p = *end ? end + 1 : end;
	}
}

void cmd_overview(const struct command *table, FILE *f)
{
	fputs("usage: ikelab COMMAND [options]\n\n", f);
	for (const struct command *c = table; c->name; c++) {
		int col;

		if (c->flags & CMD_INTERNAL)
			continue;
		col = fprintf(f, "  %-8s ", c->name);
		wrap(f, c->usage, col, HELP_INDENT);
		fprintf(f, "\n%*s%s\n", HELP_INDENT, "", c->summary);
	}
	fputs("\n'ikelab help COMMAND' (or 'ikelab COMMAND --help') says more of one command.\n"
	      "--name defaults to 'lab'. Options may come anywhere before '--'.\n"
	      "Labs live in /run/ikelab/NAME (IKELAB_RUN moves them).\n",
	      f);
}

void cmd_usage(const struct command *cmd, FILE *f)
{
	int col = fprintf(f, "usage: ikelab %s ", cmd->name);

	wrap(f, cmd->usage, col, col);
	fputs("\n\n", f);
	fprintf(f, "%s%s\n", cmd->flags & CMD_INTERNAL ? "internal, not a command: " : "",
		cmd->summary);
	if (cmd->help)
		fprintf(f, "\n%s", cmd->help);
}

/* ---- helpers of the handlers ------------------------------------------------ */

int fail(void)
{
	fprintf(stderr, "ikelab: %s\n", err_msg());
	return 1;
}

int usage_fail(const struct cli *c)
{
	err_set("usage: ikelab %s %s", c->cmd->name, c->cmd->usage);
	return fail();
}

const char *pick_kernel(const struct cli *c)
{
	const char *k = c->kernel ? c->kernel : "auto";

	if (state_inside_uml())
		return "host";
	if (!strcmp(k, "host") || !strcmp(k, "uml"))
		return k;
	if (strcmp(k, "auto")) {
		err_set("--kernel must be auto, host or uml, not '%s'", k);
		return NULL;
	}
	return doctor_pick_backend();
}

/* Positive integer option, or -1 with err_msg(). */
long number(const char *opt, const char *val, long dflt, long max)
{
	char *end;
	long n;

	if (!val)
		return dflt;
	n = strtol(val, &end, 10);
	if (*end || end == val || n < 1 || n > max)
		return err_set("%s must be a whole number from 1 to %ld, not '%s'", opt, max, val);
	return n;
}

/* Decimal option within [min, max], or -1 with err_msg(). */
int decimal(const char *opt, const char *val, double dflt, double min, double max, double *out)
{
	char *end;

	*out = dflt;
	if (!val)
		return 0;
	*out = strtod(val, &end);
	if (*end || end == val || *out < min || *out > max)
		return err_set("%s must be a number from %g to %g, not '%s'", opt, min, max, val);
	return 0;
}

/* Where a command writes (runs/NAME-DATE-TIME unless --out says), made
 * here, on the host, and absolute: a UML lab can share only what exists on
 * the host. */
char *run_dir(const char *out, const char *name)
{
	char stamp[32], *dir;
	time_t now = time(NULL);
	struct tm tm;

	if (out) {
		dir = xstrdup(out);
	} else {
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		dir = xasprintf("runs/%s-%s", name, stamp);
	}
	if (mkdir_p(dir, 0755) < 0) {
		free(dir);
		return NULL;
	}
	{
		char *abs = abs_path(dir);

		free(dir);
		return abs;
	}
}

/* ---- a UML lab seen from the host ------------------------------------------ */

bool uml_is_lab_name(const char *name)
{
	char *dir = state_dir(name);
	bool r = uml_is_lab(dir);

	free(dir);
	return r;
}

int remote_run_lab(const char *name, char *const argv[], int flags)
{
	char *dir = state_dir(name);
	int rc = remote_run(dir, argv, flags, 5000);

	free(dir);
	return rc < 0 ? fail() : rc;
}

/* The command's own arguments with one option's value replaced (or
 * added); the strings stay owned by the caller. */
char **forward_args(const struct cli *c, const char *opt, char *val)
{
	size_t n = 0;
	char **out;
	bool set = false;

	while (c->argv[n])
		n++;
	out = xcalloc(n + 3, sizeof(char *));
	for (size_t i = 0, k = 0; i < n; i++) {
		out[k++] = c->argv[i];
		if (!strcmp(c->argv[i], opt) && i + 1 < n) {
			out[k++] = val;
			i++;
			set = true;
		}
		if (i + 1 == n && !set) {
			out[k++] = (char *)opt;
			out[k++] = val;
		}
	}
	return out;
}

/* A UML lab seen from the host: run the same command inside. */
bool forwarded(const struct cli *c, int flags, int *rc)
{
	bool remote = !state_inside_uml() && uml_is_lab_name(c->name);

	if (remote)
		*rc = remote_run_lab(c->name, c->argv, flags);
	return remote;
}
