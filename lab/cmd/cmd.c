/*
 * cmd.c - helpers the command files share (see cmd.h).
 */
#include "cmd/cmd.h"
#include "backend/doctor.h"
#include "backend/state.h"
#include "backend/uml/remote.h"
#include "backend/uml/uml.h"
#include "base/err.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int fail(void)
{
	fprintf(stderr, "ikelab: %s\n", err_msg());
	return 1;
}

const char *pick_kernel(const struct cli *c)
{
	const char *k = c->kernel ? c->kernel : "auto";

	if (inside_uml())
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
int decimal(const char *opt, const char *val, double dflt, double min, double max,
		   double *out)
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
	char *dir = lab_dir(name);
	bool r = uml_is_lab(dir);

	free(dir);
	return r;
}

int remote_run_lab(const char *name, char *const argv[], int flags)
{
	char *dir = lab_dir(name);
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
	bool remote = !inside_uml() && uml_is_lab_name(c->name);

	if (remote)
		*rc = remote_run_lab(c->name, c->argv, flags);
	return remote;
}
