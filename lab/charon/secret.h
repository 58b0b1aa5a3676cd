/*
 * secret.h - the lab's PSK kept out of what a run leaves behind.
 *
 * A lab authenticates its peers with a random PSK that lives only in the
 * lab's own run directory (RUNDIR/psk and each peer's swanctl.conf, 0600
 * in a 0700 directory). What a run copies out of the lab -- the evidence
 * folders of a scenario run or a recording, the log lines quoted in an
 * error -- gets attached to public bug reports, so every copy goes
 * through secret_redact first: a `secret = ...` line keeps its place with
 * the value replaced, and the PSK itself is taken out wherever it appears
 * (charon at log level 4 dumps it as `secret => 64 bytes @ ...` followed
 * by hex and ASCII columns of 16 bytes each, so each 16-byte piece and its
 * hex form are taken out too).
 */
#ifndef IKELAB_SECRET_H
#define IKELAB_SECRET_H

#include <stddef.h>

#define SECRET_REDACTED "<redacted: the lab's random PSK>"

/* TEXT (len bytes) without the PSK (psk may be NULL: then only `secret =`
 * lines are redacted). Returns a new NUL-terminated buffer (the caller
 * frees it) and its length in *out_len. */
char *secret_redact(const char *text, size_t len, const char *psk, size_t *out_len);

/* The PSK of the lab whose run directory is labdir (allocated), or NULL
 * when it has none. */
char *secret_lab_psk(const char *labdir);

#endif
