/*
 * yamlcheck.h - strict YAML loading with exact error positions.
 *
 * libcyaml loads a document into C structs, but its own diagnostics may
 * point at the enclosing mapping instead of the offending line, and it
 * reads "5x" as 5, "010" as 8 and "maybe" as true. So the file is first
 * parsed with libyaml into a node tree that keeps every node's position,
 * and that tree is checked against the same cyaml schema. The first
 * problem is reported as
 *
 *	FILE:LINE:COL: PATH: message
 *
 * with LINE:COL (1-based) at the offending key or value and PATH like
 * "links[1].endpoints[0].node". Only a document that passes is handed to
 * libcyaml, from the same bytes. The tree is kept (struct ydoc) so that
 * semantic checks can point at the value they reject with ydoc_err().
 *
 * Schema subset understood: CYAML_MAPPING, CYAML_SEQUENCE, CYAML_STRING,
 * CYAML_INT, CYAML_UINT, CYAML_BOOL, CYAML_ENUM, CYAML_FLOAT with the flags
 * CYAML_FLAG_OPTIONAL and CYAML_FLAG_POINTER; keys and enum names compare
 * case-sensitively. Anything else is refused as an internal error.
 *
 * Accepted values: integers are decimal without leading zeros and must fit
 * the field; booleans are true/false/yes/no/on/off in any case; enums must
 * be one of their names (numbers are refused). Aliases are followed: an
 * error inside aliased content points at the anchored text.
 */
#ifndef IKELAB_YAMLCHECK_H
#define IKELAB_YAMLCHECK_H

#include <stdbool.h>
#include <cyaml/cyaml.h>

/* A parsed file: its name and its node tree with positions. */
struct ydoc;

/*
 * Check PATH against SCHEMA (a CYAML_MAPPING with CYAML_FLAG_POINTER) and
 * load it. On success *out holds the data (free it with ycheck_free) and,
 * if doc is not NULL, *doc the positions (free with ydoc_free). A file
 * holding an empty mapping loads as zeroed data, never as NULL.
 * -1 and err_msg() on failure, with nothing to free.
 */
int ycheck_load(const char *path, const cyaml_schema_value_t *schema, void **out,
		struct ydoc **doc);
/*
 * The same with values from the command line in place of the file's: each
 * of SETS is "PATH=VALUE" (PATH as ydoc_mark's: "schedule[0].skew_us"),
 * and replaces the one value the file has at PATH, on its line, so every
 * other position stays the file's. A PATH the file does not set, or that
 * holds a mapping, a list or text over several lines, is refused. The
 * checks that follow see VALUE as if the file had it.
 */
int ycheck_load_set(const char *path, const cyaml_schema_value_t *schema, const char *const *sets,
		    unsigned n_sets, void **out, struct ydoc **doc);
/* The words a boolean may be, in any case (NULL-terminated): what a
 * JSON Schema of the same file accepts as text (config/schema.h). */
extern const char *const ycheck_bools[];
/* The element count of sequence field F in DATA, whatever its count_size. */
unsigned ycheck_count(const void *data, const cyaml_schema_field_t *f);
/* Free data loaded with SCHEMA; NULL is fine. */
void ycheck_free(const cyaml_schema_value_t *schema, void *data);

/*
 * Lay SRC over DST, both loaded with SCHEMA: every pointer field SRC sets
 * replaces DST's (a sequence as a whole), nested mappings are laid over
 * field by field. SRC is consumed. For profiles based on other profiles and
 * per-peer overrides, where every field is an optional pointer.
 */
void ycheck_overlay(const cyaml_schema_value_t *schema, void *dst, void *src);

void ydoc_free(struct ydoc *d);
const char *ydoc_file(const struct ydoc *d);

/*
 * Position of the value at PATH ("links[1].endpoints[0].node"; "" is the
 * top-level mapping). A path that leads nowhere stops at its last node that
 * exists, so an absent optional key reports its parent mapping.
 * false only for a malformed path.
 */
bool ydoc_mark(const struct ydoc *d, const char *path, unsigned *line, unsigned *col);
/* "FILE:LINE:COL" of PATH, in a thread-local buffer reused by each call. */
const char *ydoc_pos(const struct ydoc *d, const char *path);

/*
 * Position of byte OFF of the string at PATH, as the file shows it: exact
 * in a literal block (`|`, where a setting on line 3 of the text is on
 * line 3 after the `|`) and in a value on one line without escapes;
 * elsewhere (folded text, escapes) the start of the value. For checks of
 * text inside a value, such as a profile's strongswan_conf.
 */
bool ydoc_mark_in(const struct ydoc *d, const char *path, size_t off, unsigned *line,
		  unsigned *col);

/* A path for ydoc_err() and ydoc_mark(), printf-style into buf:
 * ypath(buf, "nodes[%u].name", i). Returns buf. */
#define YPATH_LEN 96
const char *ypath(char buf[static YPATH_LEN], const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * err_set() "FILE:LINE:COL: PATH: message" and return -1. The arguments
 * may include err_msg(), to put a position on an error from elsewhere.
 */
int ydoc_err(const struct ydoc *d, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ydoc_err() at byte OFF of the string at PATH (ydoc_mark_in()). */
int ydoc_err_in(const struct ydoc *d, const char *path, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
