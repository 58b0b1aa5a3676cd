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
 * value with a control character (nothing a file could hold on one line). */
static char *yaml_value(const char *value)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789_./+-";
	struct strbuf sb = { 0 };

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
	else if (!(sp->text = yaml_value(eq + 1)))
		rc = err_set("--set %s: the value holds a control character", set);
	if (rc == 0) {
		sp->start = n->start_mark.index;
		sp->end = n->end_mark.index;
	}
	free(path);
	return rc;
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
	}
	for (unsigned i = 0; i < n; i++)
		free(sp[i].text);
	free(sp);
	return rc;
}
