/*
 * sweep.c - `ikelab sweep` (see sweep.h): the values, checked, run as the
 * columns of a nightly; sweep_report.c turns its summary into rates.
 */
#include "campaign/sweep.h"
#include "campaign/sweep-internal.h"
#include "campaign/nightly.h"
#include "base/err.h"
#include "base/util.h"
#include "config/scenario.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- values ---------------------------------------------------------------- */

/* A decimal integer (no leading zeros) and the letters after it, up to
 * LEN bytes of S: "-200", "5s", "500ms". */
static bool number_unit(const char *s, size_t len, long long *num, char *unit, size_t unit_len)
{
	size_t i = s[0] == '-', digits, letters;
	char *end;

	digits = strspn(s + i, "0123456789");
	if (!digits || digits > 15 || (digits > 1 && s[i] == '0'))
		return false;
	letters = i + digits;
	while (letters < len && isalpha((unsigned char)s[letters]))
		letters++;
	if (letters != len || len - i - digits >= unit_len)
		return false;
	*num = strtoll(s, &end, 10);
	snprintf(unit, unit_len, "%.*s", (int)(len - i - digits), s + i + digits);
	return true;
}

static void add_value(char ***out, int *n, char *v)
{
	*out = xrealloc(*out, (size_t)(*n + 2) * sizeof(char *));
	(*out)[(*n)++] = v;
	(*out)[*n] = NULL;
}

static int range_values(const char *values, const char *dots, char ***out)
{
	const char *slash = strchr(dots, '/');
	char u1[8], u2[8], u3[8];
	long long from, to, step;
	int n = 0;

	if (!slash || !number_unit(values, (size_t)(dots - values), &from, u1, sizeof(u1)) ||
	    !number_unit(dots + 2, (size_t)(slash - dots - 2), &to, u2, sizeof(u2)) ||
	    !number_unit(slash + 1, strlen(slash + 1), &step, u3, sizeof(u3)))
		return err_set("'%s' is not a range FROM..TO/STEP of whole numbers "
			       "(0..1000/100, 5s..20s/5s) nor a list (100,200,500)",
			       values);
	if (strcmp(u1, u2) || (*u3 && strcmp(u1, u3)))
		return err_set("'%s': FROM, TO and STEP must have the same unit", values);
	if (step <= 0 || to < from)
		return err_set("'%s': the step must be above 0 and TO not below FROM", values);
	if ((to - from) / step + 1 > SWEEP_MAX_VALUES)
		return err_set("'%s' has %lld values (at most %d)", values, (to - from) / step + 1,
			       SWEEP_MAX_VALUES);
	*out = NULL;
	for (long long v = from; v <= to; v += step)
		add_value(out, &n, xasprintf("%lld%s", v, u1));
	return n;
}

static int list_values(const char *values, char ***out)
{
	const char *p = values;
	int n = 0;

	*out = NULL;
	for (;;) {
		size_t len = strcspn(p, ",");

		if (!len || n == SWEEP_MAX_VALUES) {
			sweep_free_values(*out);
			*out = NULL;
			return err_set(!len ? "'%s': an empty value in the list"
					    : "'%s' has more than %d values",
				       values, SWEEP_MAX_VALUES);
		}
		for (int i = 0; i < n; i++)
			if (strlen((*out)[i]) == len && !strncmp((*out)[i], p, len)) {
				sweep_free_values(*out);
				*out = NULL;
				return err_set("'%s': the value '%.*s' is there twice", values,
					       (int)len, p);
			}
		add_value(out, &n, xasprintf("%.*s", (int)len, p));
		if (!p[len])
			return n;
		p += len + 1;
	}
}

int sweep_values(const char *values, char ***out)
{
	const char *dots = strstr(values, "..");

	*out = NULL;
	for (const char *p = values; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return err_set("the values hold a control character");
	return dots ? range_values(values, dots, out) : list_values(values, out);
}

void sweep_free_values(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* ---- the sweep ---------------------------------------------------------------- */

/* The last name of PATH, for labels: "schedule[0].skew_us" -> "skew_us". */
static const char *path_tail(const char *path, size_t len)
{
	const char *tail = path;

	for (size_t i = 0; i < len; i++)
		if (path[i] == '.' || path[i] == ']')
			tail = path + i + 1;
	return tail < path + len ? tail : path;
}

/* Every value loads: refused before a lab is built. */
static int check_values(struct sweep *S)
{
	for (int i = 0; i < S->n; i++) {
		const char *set = S->sets[i];
		struct scenario *s = scenario_load_set(S->o->scenario, &set, 1);

		if (!s)
			return err_wrap("sweep value %s", S->values[i]);
		if (!S->name) {
			S->name = xstrdup(s->name);
			S->reproduces = s->reproduces;
		}
		scenario_free(s);
	}
	return 0;
}

static int prepare(struct sweep *S)
{
	const char *set = S->o->set, *eq = strchr(set, '=');
	size_t plen = eq ? (size_t)(eq - set) : 0;

	if (!eq || !plen)
		return err_set("--set %s: not PATH=VALUES (for example "
			       "schedule[0].skew_us=0..1000/100)",
			       set);
	S->path = xasprintf("%.*s", (int)plen, set);
	S->n = sweep_values(eq + 1, &S->values);
	if (S->n < 0)
		return err_wrap("--set %s", S->path);
	S->sets = xcalloc((size_t)S->n + 1, sizeof(char *));
	S->labels = xcalloc((size_t)S->n + 1, sizeof(char *));
	S->charons = xcalloc((size_t)S->n + 1, sizeof(char *));
	for (int i = 0; i < S->n; i++) {
		S->sets[i] = xasprintf("%s=%s", S->path, S->values[i]);
		S->labels[i] = xasprintf("%s=%s", path_tail(S->path, plen), S->values[i]);
		S->charons[i] = (char *)S->o->charon;
	}
	return check_values(S);
}

static void sweep_free(struct sweep *S)
{
	for (int i = 0; i < S->n; i++) {
		free(S->sets[i]);
		free(S->labels[i]);
	}
	free(S->sets);
	free(S->labels);
	free(S->charons);
	sweep_free_values(S->values);
	free(S->path);
	free(S->name);
}

int sweep_check(const struct sweep_opts *o)
{
	struct sweep S = { .o = o };
	int rc = prepare(&S);

	sweep_free(&S);
	return rc;
}

int sweep_main(const struct sweep_opts *o)
{
	struct sweep S = { .o = o };
	char *file = (char *)o->scenario;
	struct nightly_opts no = { .scenarios = &file,
				   .n_scenarios = 1,
				   .seeds = o->seeds,
				   .jobs = o->jobs,
				   .baseline = NULL,
				   .out = o->out,
				   .live = o->live,
				   .full_duration = o->full_duration };
	int rc = -1;

	if (prepare(&S) == 0) {
		no.charons = S.charons;
		no.labels = S.labels;
		no.sets = S.sets;
		no.n_charons = S.n;
		printf("sweep: %s over %s = %s (%d value%s)\n", S.name, S.path,
		       strchr(o->set, '=') + 1, S.n, S.n == 1 ? "" : "s");
		if (nightly_main(&no) >= 0)
			rc = sweep_report(&S);
	}
	sweep_free(&S);
	return rc;
}
