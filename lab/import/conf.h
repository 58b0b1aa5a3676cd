/*
 * conf.h - the configuration files a race report brings, read as trees.
 *
 * Two syntaxes: strongSwan's settings syntax (swanctl.conf and
 * strongswan.conf: `name { ... }` sections and `key = value` lines) and the
 * legacy ipsec.conf (`config setup`, `conn NAME` and `ca NAME` at the start
 * of a line, indented `key=value` lines below). Both become one tree of
 * conf_node: a section has children, a setting has a value, and each knows
 * its line. The files come from strangers: nothing here follows an
 * `include` (it becomes a node the importer reports as not carried), a
 * value with a control character is refused, and every refusal names
 * FILE:LINE:COL. `used` is set by whoever carries a node over, so that
 * everything left unset can be listed instead of dropped silently.
 */
#ifndef IKELAB_CONF_H
#define IKELAB_CONF_H

#include <stdbool.h>

struct conf_node {
	char *name;  /* key or section name (owned) */
	char *value; /* a setting's value, NULL for a section (owned) */
	unsigned line;
	bool used;               /* carried over by the importer */
	struct conf_node *child; /* a section's first entry */
	struct conf_node *next;  /* the next entry of the same section */
};

/* A whole file in strongSwan's settings syntax; the root is a section named
 * after nothing. NULL and err_msg() "FILE:LINE:COL: ..." on bad syntax.
 * Caller frees with conf_free(). */
struct conf_node *conf_parse_settings(const char *path);
/* The same from a buffer (TEXT need not be NUL-terminated); PATH names it
 * in messages. */
struct conf_node *conf_parse_settings_text(const char *path, const char *text, unsigned long len);

/* A whole ipsec.conf: the root's children are sections named `config`,
 * `conn` or `ca`, each with its NAME as value (setup for config), and their
 * settings as children. Caller frees with conf_free(). */
struct conf_node *conf_parse_ipsec(const char *path);
struct conf_node *conf_parse_ipsec_text(const char *path, const char *text, unsigned long len);

void conf_free(struct conf_node *n);

/* The first direct child of SECTION called NAME (a setting when `setting`,
 * else a section), or NULL. Borrowed. */
struct conf_node *conf_get(const struct conf_node *section, const char *name, bool setting);
/* The value of setting NAME in SECTION, marking it used; NULL when absent. */
const char *conf_take(const struct conf_node *section, const char *name);

#endif
