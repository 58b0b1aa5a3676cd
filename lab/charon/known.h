/*
 * known.h - what one strongSwan version knows: the settings of its
 * strongswan.conf and swanctl.conf, and the plugins its charon was built
 * with.
 *
 * Versions differ: strongSwan 6 turned make_before_break on by default,
 * replaced filelog's time_add_ms by time_precision, dropped and added
 * plugins. The settings a commit knows are its own documentation of them,
 * conf/options/ *.opt, conf/plugins/ *.opt and src/swanctl/swanctl.opt:
 * each setting a line of its own at the start of a line, "KEY = DEFAULT"
 * or "KEY" (a section is "KEY {}"), with placeholders such as <name>,
 * <conn> and <child> as written there. A build (build.h) collects them into
 * its cache entry's options.txt, one "KEY[ = DEFAULT]" a line, and its
 * build.json lists the plugins. The lab renders a peer's configuration
 * against that (peer.c): a setting or plugin the version does not know is
 * left out, said once on stderr and noted in the rendered file. A charon
 * that is not a build of ours (Debian's) has no such list: everything is
 * rendered as before.
 */
#ifndef IKELAB_KNOWN_H
#define IKELAB_KNOWN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/util.h"

struct charon_known {
	char *version;   /* "6.0.3" */
	char *commit;    /* full id */
	char **keys;     /* sorted */
	char **defaults; /* per key, or NULL when the .opt gives none */
	size_t n;
	char **plugins; /* as built */
	size_t n_plugins;
};

/* Append the settings of one .opt file's text to out, "KEY[ = DEFAULT]\n"
 * each. */
void known_opt_parse(const char *text, struct strbuf *out);

/* Every .opt of a source tree (conf/options, conf/plugins,
 * src/swanctl/swanctl.opt) into the file `path`. */
int known_collect(const char *tree, const char *path);

/* options.txt's text into k (keys and defaults; k is the caller's and
 * known_free releases it). */
void known_parse_list(const char *text, struct charon_known *k);

/* What the charon binary's build knows: 1 with k filled in, 0 when the
 * binary is not a build of ours (nothing known, k empty), -1 with
 * err_msg() when its entry cannot be read. */
int known_load(const char *charon, struct charon_known *k);
void known_free(struct charon_known *k);

/* A setting, spelled as in the .opt files ("charon.make_before_break",
 * "connections.<conn>.children.<child>.start_action"). Everything is
 * known to an empty k. */
bool known_has(const struct charon_known *k, const char *key);
/* Its default as documented ("yes"), or NULL. */
const char *known_default(const struct charon_known *k, const char *key);
bool known_plugin(const struct charon_known *k, const char *name);
/* k knows something (a build of ours). */
bool known_any(const struct charon_known *k);

/* "ikelab: warning: ..." on stderr, each distinct message once per
 * process (runs of many seeds, two peers with one profile). */
void known_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
