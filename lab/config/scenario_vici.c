/*
 * scenario_vici.c - what the loader checks of the schedule's `vici`
 * entries: a command name and its message's keys and values, each problem
 * at FILE:LINE:COL (scenario-internal.h). What the command does is
 * charon's business: it acts on the lab's own charon only.
 */
#include "config/scenario.h"
#include "base/err.h"
#include "base/util.h"
#include "config/scenario-internal.h"
#include "config/yamlcheck.h"

#include <string.h>

#define COMMAND_MAX 32
#define ARGS_MAX 256
#define VALUES_MAX 256
#define VALUE_MAX 4096 /* bytes; VICI allows 65535, a scenario needs less */

static bool command_ok(const char *c)
{
	size_t n = strlen(c);

	if (!n || n > COMMAND_MAX || c[0] < 'a' || c[0] > 'z')
		return false;
	return strspn(c, "abcdefghijklmnopqrstuvwxyz-") == n;
}

/* VICI names joined by dots: letters, digits, '-', '_' (a connection or
 * CHILD_SA name in a key is one of the lab's, which are such names). */
static bool key_ok(const char *k)
{
	static const char name_chars[] = "abcdefghijklmnopqrstuvwxyz"
					 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
	size_t n;

	for (;;) {
		n = strspn(k, name_chars);
		if (!n || n > 255)
			return false;
		k += n;
		if (!*k)
			return true;
		if (*k++ != '.')
			return false;
	}
}

static int check_value(const struct ydoc *d, const char *path, const char *v)
{
	if (strlen(v) > VALUE_MAX)
		return ydoc_err(d, path, "a value of at most %d bytes", VALUE_MAX);
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return ydoc_err(d, path, "a value without control characters");
	return 0;
}

static int check_arg(const struct ydoc *d, unsigned i, unsigned k, const struct sc_vici_kv *a)
{
	char path[YPATH_LEN];

	if (!key_ok(a->key))
		return ydoc_err(d, ypath(path, "schedule[%u].args[%u].key", i, k),
				"'%s' is not a VICI key: names of letters, digits, '-' and '_', "
				"joined by dots for sections (child.net.mode)",
				a->key);
	if (!a->value == !a->values)
		return ydoc_err(d, ypath(path, "schedule[%u].args[%u]", i, k),
				"an argument has value or values (a list), not %s",
				a->value ? "both" : "neither");
	if (a->value)
		return check_value(d, ypath(path, "schedule[%u].args[%u].value", i, k), a->value);
	if (a->values_count > VALUES_MAX)
		return ydoc_err(d, ypath(path, "schedule[%u].args[%u].values", i, k),
				"at most %d values", VALUES_MAX);
	for (unsigned j = 0; j < a->values_count; j++)
		if (check_value(d, ypath(path, "schedule[%u].args[%u].values[%u]", i, k, j),
				a->values[j]) < 0)
			return -1;
	return 0;
}

/* A key that is also a section of another key's path ("a" and "a.b")
 * would be a value and a section at once. */
static int check_nesting(const struct ydoc *d, unsigned i, const struct sc_entry *e)
{
	char path[YPATH_LEN];

	for (unsigned k = 0; k < e->args_count; k++)
		for (unsigned j = 0; j < e->args_count; j++) {
			size_t n = strlen(e->args[j].key);

			if (j != k && !strncmp(e->args[k].key, e->args[j].key, n) &&
			    (e->args[k].key[n] == '.' || (!e->args[k].key[n] && j < k)))
				return ydoc_err(d, ypath(path, "schedule[%u].args[%u].key", i, k),
						"'%s' is given again, or nested in the value of "
						"args[%u] ('%s')",
						e->args[k].key, j, e->args[j].key);
		}
	return 0;
}

int sc_check_vici(const struct scenario *s, const struct ydoc *d, unsigned i)
{
	const struct sc_entry *e = &s->schedule[i];
	char path[YPATH_LEN];

	if (!command_ok(e->command))
		return ydoc_err(d, ypath(path, "schedule[%u].command", i),
				"'%s' is not a VICI command name (lower-case letters and '-', "
				"like list-sas or redirect)",
				e->command);
	if (e->args_count > ARGS_MAX)
		return ydoc_err(d, ypath(path, "schedule[%u].args", i), "at most %d arguments",
				ARGS_MAX);
	for (unsigned k = 0; k < e->args_count; k++)
		if (check_arg(d, i, k, &e->args[k]) < 0)
			return -1;
	return check_nesting(d, i, e);
}
