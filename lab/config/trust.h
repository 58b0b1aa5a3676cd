/*
 * trust.h - what a scenario, profile or topology file may make the
 * controller do as root, and what needs the user's consent (--trust).
 *
 * ikelab runs as root, and its files travel like bug reports: whoever runs
 * one has not read it. So a file is trusted to describe a race -- the
 * settings, lifetimes, proposals and plugins races need -- and nothing
 * that runs a program, reads or writes a file of its choosing, or changes
 * what charon is. Everything a file may set is ALLOWED by name and checked
 * by value; what is not on the lists is refused, because a deny-list always
 * misses one (ext-auth scripts, save-keys, a filelog path). The lists:
 *
 *   - strongswan_conf: text is parsed as strongswan.conf (sections, key =
 *     value, comments, quoted strings) and every setting must be one of
 *     trust_conf_setting()'s (make_before_break, the send/receive delays,
 *     retransmission, threads, half-open and DPD timing, the IKE_SA table,
 *     the levels of the lab's own log file), with a value of its kind;
 *     `include`, section references (name : other), and every other
 *     setting or section are refused;
 *   - plugins: must be ones trust_plugin() allows (crypto, key formats,
 *     kernel-netlink, sockets, vici): none that runs programs (updown,
 *     ext-auth), reads or writes files on its own (stroke, load-tester,
 *     save-keys, sqlite, pkcs11, resolve), or talks to the world;
 *   - charon: in a file must be Debian's binary (PROFILE_DEFAULT_CHARON):
 *     --charon on the command line is the user's own choice;
 *   - a value rendered into swanctl.conf or strongswan.conf (proposals)
 *     holds no structure character: a newline, brace, '#', '=', ',' or
 *     quote would add settings of its own (an updown script, say);
 *   - the files a file names (a profile's base:, a scenario's profile: and
 *     topology:) lie, symlinks resolved, in the folder of the file that
 *     names them or below it, or in the shipped peers/ or topologies/ of
 *     the tree ikelab was built in.
 *
 * Each refusal is one error, "FILE:LINE:COL: KEY: what is wrong; pass
 * --trust to allow it", at the offending setting inside the text where
 * the file shows it (yamlcheck's ydoc_err_in).
 *
 * The consent is the command line's: --trust (TRUST_FILES) turns every
 * check here off, --charon (TRUST_CHARON) makes a file's charon: moot. It
 * is given once, before anything is loaded, and kept for the process, so
 * that every loader -- a base: three profiles deep, a scenario's per-peer
 * set:, shrink's candidates -- sees the same answer without a parameter
 * threaded through each; commands that start ikelab again (nightly,
 * shrink, the controller inside user-mode Linux) pass --trust on.
 *
 * The loaders call trust_check_profile() and trust_named_file(); the
 * primitives below them (trust_conf_text, trust_conf_setting,
 * trust_plugin, trust_value) take no YAML, so that every later way of
 * feeding charon configuration (imported configs, reloads, raw VICI
 * commands) applies the same rule.
 */
#ifndef IKELAB_TRUST_H
#define IKELAB_TRUST_H

#include <stdbool.h>
#include <stddef.h>

struct profile;
struct ydoc;

#define TRUST_FILES 1u  /* --trust: the files are the user's own */
#define TRUST_CHARON 2u /* --charon: the command line names the binary */
#define TRUST_OPTION "--trust"
#define TRUST_HINT "pass " TRUST_OPTION " to allow it"

/* The consent the command line gives (TRUST_* bits), replacing any
 * earlier; 0 (the default) is none. */
void trust_consent(unsigned what);
/* Whether any of WHAT was granted. */
bool trust_granted(unsigned what);

/* ---- the rule, without YAML ---- */

/* A strongswan.conf setting by its full dotted name: NULL when a file may
 * set it to VALUE, else why not ("runs programs as root"; static). */
const char *trust_conf_setting(const char *key, const char *value);

/* Where strongswan.conf text goes against the rule. */
struct trust_refusal {
	size_t off;    /* byte offset into the text */
	char why[256]; /* "charon.start-scripts runs programs as root" */
};
/* 0 when every setting of TEXT is allowed; -1 with *r filled in when one
 * is not, or when TEXT is not strongswan.conf syntax this check reads. */
int trust_conf_text(const char *text, struct trust_refusal *r);

/* A plugin name for charon.load: NULL when allowed, else why not. */
const char *trust_plugin(const char *name);
/* A value rendered into a configuration file: NULL when it holds no
 * structure character, else which ("a newline"; static). */
const char *trust_value(const char *value);

/* ---- for the loaders: FILE:LINE:COL errors, 0 when allowed ---- */

/* P as loaded from D, its keys under AT ("" or "peers[0].set."). */
int trust_check_profile(const struct profile *p, const struct ydoc *d, const char *at);

/*
 * The file NAMED, written at AT in D by the file FROM: relative to FROM's
 * folder unless absolute, as the loaders have always read it. Without
 * consent it must lie (symlinks resolved) in FROM's folder or below, or in
 * the shipped SHIPPED folder ("peers", "topologies"), and its name may hold
 * no control character. The path to load (caller frees), or NULL with
 * err_msg(). A file that does not exist passes: loading it says so.
 */
char *trust_named_file(const struct ydoc *d, const char *at, const char *from, const char *named,
		       const char *shipped);

#endif
