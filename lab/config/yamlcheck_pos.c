/*
 * yamlcheck_pos.c - where things are in a checked file (yamlcheck.h): the
 * node at a path ("links[1].endpoints[0].node"), a byte inside a string
 * value, and errors that name them as FILE:LINE:COL.
 */
#include "config/yamlcheck.h"
#include "config/yamlcheck-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const yaml_node_t *map_get(const struct ydoc *d, const yaml_node_t *n, const char *key,
				  size_t len)
{
	if (n->type != YAML_MAPPING_NODE)
		return NULL;
	for (const yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = node_at(d, p->key);

		if (k->type == YAML_SCALAR_NODE && k->data.scalar.length == len &&
		    !memcmp(scalar(k), key, len))
			return node_at(d, p->value);
	}
	return NULL;
}

static const yaml_node_t *seq_get(const struct ydoc *d, const yaml_node_t *n, unsigned long i)
{
	if (n->type != YAML_SEQUENCE_NODE ||
	    i >= (unsigned long)(n->data.sequence.items.top - n->data.sequence.items.start))
		return NULL;
	return node_at(d, n->data.sequence.items.start[i]);
}

/* Follow PATH as far as it leads (*whole: all the way); false if it is
 * malformed. */
static bool path_walk(const struct ydoc *d, const char *path, const yaml_node_t **out, bool *whole)
{
	const yaml_node_t *n = node_at(d, 1), *next;
	const char *p = path;

	*out = n;
	*whole = false;
	while (*p) {
		if (*p == '[') {
			char *end;
			unsigned long i;

			if (p[1] < '0' || p[1] > '9')
				return false;
			i = strtoul(p + 1, &end, 10);
			if (*end != ']')
				return false;
			next = seq_get(d, n, i);
			p = end + 1;
		} else {
			size_t len;

			if (*p == '.' && p != path)
				p++;
			len = strcspn(p, ".[");
			if (!len)
				return false;
			next = map_get(d, n, p, len);
			p += len;
		}
		if (!next)
			return true;
		*out = n = next;
	}
	*whole = true;
	return true;
}

const yaml_node_t *ydoc_node(const struct ydoc *d, const char *path)
{
	const yaml_node_t *n;
	bool whole;

	return path_walk(d, path, &n, &whole) && whole ? n : NULL;
}

bool ydoc_mark(const struct ydoc *d, const char *path, unsigned *line, unsigned *col)
{
	const yaml_node_t *n;
	bool whole;

	if (!path_walk(d, path, &n, &whole))
		return false;
	*line = (unsigned)n->start_mark.line + 1;
	*col = (unsigned)n->start_mark.column + 1;
	return true;
}

/* Characters in S[0..n): libyaml's columns count characters, not bytes. */
static unsigned chars(const char *s, size_t n)
{
	unsigned c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Line LINE (0-based) of the file, and its length without the line break;
 * NULL past the end. */
static const char *text_line(const struct ydoc *d, size_t line, size_t *len)
{
	const char *p = d->text;

	for (size_t i = 0; p && i < line; i++) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (!p)
		return NULL;
	*len = strcspn(p, "\n");
	if (*len && p[*len - 1] == '\r')
		(*len)--;
	return p;
}

size_t ydoc_byte_of(const struct ydoc *d, const yaml_mark_t *m)
{
	size_t len;
	const char *p = text_line(d, m->line, &len);

	if (!p)
		return (size_t)-1;
	/* libyaml skips a byte order mark without counting it. */
	if (p == d->text && !strncmp(p, "\xef\xbb\xbf", 3))
		p += 3, len -= 3;
	for (size_t c = 0; c < m->column; c++) {
		if (!len)
			return (size_t)-1;
		do
			p++, len--;
		while (len && ((unsigned char)*p & 0xc0) == 0x80);
	}
	return (size_t)(p - d->text);
}

/* A literal block (|): line K of the value is line K after the '|', the
 * same characters behind the block's indentation. False when the file
 * does not show it so (an indentation indicator, a tab): the caller then
 * points at the value. */
static bool literal_mark(const struct ydoc *d, const yaml_node_t *n, size_t off, unsigned *line,
			 unsigned *col)
{
	const char *v = scalar(n), *src, *nl;
	size_t ls = off, le, slen, k = 0;

	while (ls > 0 && v[ls - 1] != '\n')
		ls--;
	for (size_t i = 0; i < ls; i++)
		k += v[i] == '\n';
	nl = memchr(v + ls, '\n', n->data.scalar.length - ls);
	le = nl ? (size_t)(nl - v) : n->data.scalar.length;
	src = text_line(d, n->start_mark.line + 1 + k, &slen);
	if (!src || slen < le - ls || memcmp(src + slen - (le - ls), v + ls, le - ls))
		return false;
	*line = (unsigned)(n->start_mark.line + 2 + k);
	*col = chars(src, slen - (le - ls)) + chars(v + ls, off - ls) + 1;
	return true;
}

/* Where byte OFF of scalar N's value is in the file: exact in a literal
 * block and in a value on one line without escapes; elsewhere (folded
 * text, escapes) the start of the value. */
static void scalar_mark(const struct ydoc *d, const yaml_node_t *n, size_t off, unsigned *line,
			unsigned *col)
{
	size_t len = n->data.scalar.length;
	unsigned quote;

	*line = (unsigned)n->start_mark.line + 1;
	*col = (unsigned)n->start_mark.column + 1;
	if (off > len)
		return;
	switch (n->data.scalar.style) {
	case YAML_LITERAL_SCALAR_STYLE:
		literal_mark(d, n, off, line, col);
		return;
	case YAML_PLAIN_SCALAR_STYLE:
		quote = 0;
		break;
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		quote = 1;
		break;
	default:
		return;
	}
	if (n->end_mark.line == n->start_mark.line &&
	    n->end_mark.column - n->start_mark.column == chars(scalar(n), len) + 2 * quote)
		*col += quote + chars(scalar(n), off);
}

bool ydoc_mark_in(const struct ydoc *d, const char *path, size_t off, unsigned *line, unsigned *col)
{
	const yaml_node_t *n;
	bool whole;

	if (!path_walk(d, path, &n, &whole))
		return false;
	if (n->type == YAML_SCALAR_NODE) {
		scalar_mark(d, n, off, line, col);
		return true;
	}
	*line = (unsigned)n->start_mark.line + 1;
	*col = (unsigned)n->start_mark.column + 1;
	return true;
}

int ydoc_err_in(const struct ydoc *d, const char *path, size_t off, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	unsigned line = 1, col = 1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ydoc_mark_in(d, path, off, &line, &col);
	return err_set("%s:%u:%u: %s%s%s", d->file, line, col, path, *path ? ": " : "", msg);
}

const char *ydoc_pos(const struct ydoc *d, const char *path)
{
	static _Thread_local char buf[512];
	unsigned line = 1, col = 1;

	ydoc_mark(d, path, &line, &col);
	snprintf(buf, sizeof(buf), "%s:%u:%u", d->file, line, col);
	return buf;
}

int ydoc_err(const struct ydoc *d, const char *path, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	const yaml_node_t *n;
	bool whole;
	va_list ap;

	/* Format first: the arguments may point into err_msg()'s buffer. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!path_walk(d, path, &n, &whole))
		n = node_at(d, 1);
	return pos_err(d, &n->start_mark, path, msg);
}

const char *ypath(char buf[static YPATH_LEN], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, YPATH_LEN, fmt, ap);
	va_end(ap);
	return buf;
}
