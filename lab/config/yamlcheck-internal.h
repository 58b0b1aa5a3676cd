/*
 * yamlcheck-internal.h - what the two files of the yamlcheck module share;
 * included only by lab/config/yamlcheck*.c. yamlcheck.c parses a file,
 * checks it against a schema and loads it; yamlcheck_pos.c finds where a
 * path, or a byte inside a value, is in the file, for the messages;
 * yamlcheck_set.c puts the command line's values in place of the file's.
 */
#ifndef IKELAB_YAMLCHECK_INTERNAL_H
#define IKELAB_YAMLCHECK_INTERNAL_H

#include <stdbool.h>
#include <yaml.h>

#include "base/err.h"

struct ydoc {
	char *file;
	char *text; /* the file's bytes, for positions inside a value */
	yaml_document_t doc;
	bool loaded; /* doc holds a document to delete */
};

static inline yaml_node_t *node_at(const struct ydoc *d, int index)
{
	return d->doc.nodes.start + index - 1;
}

static inline const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* yamlcheck.c: parse TEXT into d->doc (one document with something in
 * it); -1 with err_msg() as FILE:LINE:COL. */
int ydoc_parse(struct ydoc *d, const char *text, size_t len);
/* yamlcheck_pos.c: the node at exactly PATH, or NULL (a malformed path, or
 * one that leads nowhere). */
const yaml_node_t *ydoc_node(const struct ydoc *d, const char *path);
/* yamlcheck_pos.c: the byte of d->text at M (libyaml counts characters,
 * not bytes, and skips a byte order mark), or (size_t)-1 when M is not
 * in the text. */
size_t ydoc_byte_of(const struct ydoc *d, const yaml_mark_t *m);
/* yamlcheck_set.c: d->text with each "PATH=VALUE" of SETS in place of the
 * value at PATH, parsed again into d->doc; -1 with err_msg(). */
int ydoc_apply_sets(struct ydoc *d, const char *const *sets, unsigned n);

/* "FILE:LINE:COL: PATH: MSG" as the error; -1. */
static inline int pos_err(const struct ydoc *d, const yaml_mark_t *m, const char *path,
			  const char *msg)
{
	return err_set("%s:%zu:%zu: %s%s%s", d->file, m->line + 1, m->column + 1, path,
		       *path ? ": " : "", msg);
}

#endif
