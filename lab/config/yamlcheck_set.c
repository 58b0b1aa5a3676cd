/*
 * yamlcheck_set.c - values from the command line in place of a file's
 * (ycheck_load_set in yamlcheck.h): `ikelab run S.yaml --set
 * schedule[0].skew_us=400`, and every value of a sweep.
 *
 * The new value goes into the file's text, where the old one stood, and
 * the text is parsed and checked again as a whole: a set value meets the
 * same checks, with the same FILE:LINE:COL, as one written in the file.
 * Only a value on one line is replaced, by a value on one line, so every
 * line of the file keeps its number.
 */
#include "config/yamlcheck.h"
#include "config/yamlcheck-internal.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

/* One replacement: bytes [start, end) of the text become text. */
struct splice {
	size_t start, end;
	char *text;
};

/* A plain YAML scalar when VALUE is one, else double-quoted; NULL for a
 * value with a control character or a line break (nothing a file could
 * hold on one line). */
static char *yaml_value(const char *value)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789_./+-";
	struct strbuf sb = { 0 };

	/* Nor the line breaks YAML knows beyond ASCII: NEL, LS and PS. */
	if (strstr(value, "\xc2\x85") || strstr(value, "\xe2\x80\xa8") ||
	    strstr(value, "\xe2\x80\xa9"))
		return NULL;
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return NULL;
	if (*value && value[strspn(value, plain)] == '\0' && value[0] != '-')
		return xstrdup(value);
	if (*value == '-' && value[1] >= '0' && value[1] <= '9' &&
	    value[1 + strspn(value + 1, "0123456789.")] == '\0')
		return xstrdup(value);
	sb_addf(&sb, "\"");
	for (const char *p = value; *p; p++)
		sb_addf(&sb, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
	sb_addf(&sb, "\"");
	return sb.buf;
}

static int set_err(const struct ydoc *d, const char *set, const char *why)
{
	return err_set("--set %s: %s %s", set, d->file, why);
}

/* Where the value at SET's path is, and what goes there. */
static int find_splice(const struct ydoc *d, const char *set, struct splice *sp)
{
	const char *eq = strchr(set, '=');
	char *path = eq ? xasprintf("%.*s", (int)(eq - set), set) : NULL;
	const yaml_node_t *n = path && *path ? ydoc_node(d, path) : NULL;
	int rc = 0;

	if (!eq || eq == set)
		rc = err_set("--set %s: not PATH=VALUE (for example schedule[0].skew_us=400)", set);
	else if (!n)
		rc = set_err(d, set, "sets nothing there: --set changes a value the file has");
	else if (n->type != YAML_SCALAR_NODE)
		rc = set_err(d, set, "holds a mapping or a list there, not one value");
	else if (n->start_mark.line != n->end_mark.line)
		rc = set_err(d, set, "holds text over several lines there: edit the file");
	if (rc == 0) {
		/* libyaml's marks count characters: bytes are what is cut. */
		sp->start = ydoc_byte_of(d, &n->start_mark);
		sp->end = ydoc_byte_of(d, &n->end_mark);
		if (sp->start == (size_t)-1 || sp->end == (size_t)-1 || sp->start >= sp->end)
			rc = set_err(d, set,
				     "has an empty value there: write one in the file first");
		/* An anchor or a tag belongs to the text being replaced; an
		 * alias leads to the anchored value, not to its own line. */
		else if (d->text[sp->start] == '&' || d->text[sp->start] == '!')
			rc = set_err(d, set,
				     "has an anchored or tagged value there: edit the file");
	}
	if (rc == 0 && !(sp->text = yaml_value(eq + 1)))
		rc = err_set("--set %s: the value holds a control character or a line break", set);
	free(path);
	return rc;
}

/* After the splice, the value at each path is the one given: anything else
 * (a line break libyaml counts and this file's reader does not) is refused
 * rather than run. */
static int check_placed(const struct ydoc *d, const char *const *sets, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const char *eq = strchr(sets[i], '=');
		char *path = xasprintf("%.*s", (int)(eq - sets[i]), sets[i]);
		const yaml_node_t *v = ydoc_node(d, path);
		bool ok = v && v->type == YAML_SCALAR_NODE && !strcmp(scalar(v), eq + 1);

		free(path);
		if (!ok)
			return err_set("--set %s: %s: the value could not be put in place of the "
				       "file's; edit the file",
				       sets[i], d->file);
	}
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct splice *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The text with every splice made (they do not overlap: one scalar each). */
static char *spliced(const char *text, struct splice *sp, unsigned n)
{
	struct strbuf sb = { 0 };
	size_t at = 0;

	qsort(sp, n, sizeof(*sp), by_start);
	for (unsigned i = 0; i < n; i++) {
		sb_addf(&sb, "%.*s%s", (int)(sp[i].start - at), text + at, sp[i].text);
		at = sp[i].end;
	}
	sb_addf(&sb, "%s", text + at);
	return sb.buf;
}

int ydoc_apply_sets(struct ydoc *d, const char *const *sets, unsigned n)
{
	struct splice *sp = xcalloc(n, sizeof(*sp));
	int rc = 0;

	for (unsigned i = 0; i < n && rc == 0; i++) {
		rc = find_splice(d, sets[i], &sp[i]);
		for (unsigned k = 0; k < i && rc == 0; k++)
			if (sp[k].start == sp[i].start)
				rc = err_set("--set %s: that value is set twice", sets[i]);
	}
	if (rc == 0) {
		char *text = spliced(d->text, sp, n);

		yaml_document_delete(&d->doc);
		d->loaded = false;
		free(d->text);
		d->text = text;
		rc = ydoc_parse(d, text, strlen(text));
		if (rc == 0)
			rc = check_placed(d, sets, n);
	}
	for (unsigned i = 0; i < n; i++)
		free(sp[i].text);
	free(sp);
	return rc;
}
