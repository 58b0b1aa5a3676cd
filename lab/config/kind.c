#include "config/kind.h"
#include "base/err.h"
#include "base/util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_MARK "$schema="

static const char *const kind_names[] = {
	[KIND_SCENARIO] = "scenario",
	[KIND_TOPOLOGY] = "topology",
	[KIND_PROFILE] = "profile",
};

/* The top-level keys only a scenario, or only a topology, has. */
static const char *const scenario_keys[] = { "duration", "topology", "profile",
					     "schedule", "faults",   "expectations",
					     "traffic",  "expect",   "peers",
					     NULL };
static const char *const topology_keys[] = { "nodes", "links", "routes", NULL };

const char *file_kind_name(enum file_kind k)
{
	return kind_names[k];
}

/* The line at L ends at the first newline or the text's end. */
static size_t line_len(const char *l)
{
	return strcspn(l, "\n");
}

/* Whether the line at L is a comment naming a schema, and which. */
static int schema_line(const char *l, enum file_kind *out)
{
	size_t n = line_len(l);
	const char *m = memmem(l, n, SCHEMA_MARK, strlen(SCHEMA_MARK));

	if (l[0] != '#' || !m)
		return -1;
	for (unsigned k = 0; k < ARRAY_LEN(kind_names); k++) {
		char *want = xasprintf("%s.schema.json", kind_names[k]);
		bool hit = memmem(m, n - (size_t)(m - l), want, strlen(want)) != NULL;

		free(want);
		if (hit) {
			*out = (enum file_kind)k;
			return 0;
		}
	}
	return -1;
}

int file_kind_of_text(const char *text, enum file_kind *out)
{
	/* Only the comments that open the file: a line further down is
	 * content, whatever it says. */
	for (const char *l = text; *l == '#'; l += line_len(l) + (l[line_len(l)] == '\n'))
		if (schema_line(l, out) == 0)
			return 0;
	return -1;
}

/* Whether a line at the text's top level starts with KEY followed by ':'. */
static bool has_key(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *l = text; *l; l += line_len(l) + (l[line_len(l)] == '\n'))
		if (!strncmp(l, key, n) && (l[n] == ':' || l[n] == ' '))
			return true;
	return false;
}

static bool has_any(const char *text, const char *const *keys)
{
	for (; *keys; keys++)
		if (has_key(text, *keys))
			return true;
	return false;
}

int file_kind_guess(const char *path, enum file_kind *out)
{
	char *text;
	size_t len;

	if (read_file(path, &text, &len) < 0)
		return -1; /* the message names the path */
	if (file_kind_of_text(text, out) < 0)
		*out = has_any(text, topology_keys)   ? KIND_TOPOLOGY
		       : has_any(text, scenario_keys) ? KIND_SCENARIO
						      : KIND_PROFILE;
	free(text);
	return 0;
}
