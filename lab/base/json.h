/*
 * json.h - reading a jansson document, one way everywhere.
 *
 * Summaries, run directories, lab.json and VICI answers turned into JSON
 * are read field by field. A missing key, a null and a value of the wrong
 * type all read as "not there": NULL for strings, false (and *out left
 * alone) for numbers, which may be integers or reals. The _or forms give a
 * default instead. Nothing here allocates; strings belong to the document.
 * json_load_beneath reads a document someone else may have written (a run
 * directory a user-mode Linux guest wrote into) through read_file_beneath
 * (base/file.h): no link followed, no FIFO waited for, a size cap.
 * json_write writes the run and campaign documents (summary.json,
 * result.json, bisect.json, sweep.json), all indented the same way.
 */
#ifndef IKELAB_BASE_JSON_H
#define IKELAB_BASE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* What a run's JSON file (summary.json, result.json, first-sa.json) may
 * weigh when read back from a directory a guest wrote into. */
#define JSON_RUN_MAX ((size_t)64 << 20)

const char *jget_str(const json_t *obj, const char *key);
const char *jget_str_or(const json_t *obj, const char *key, const char *dflt);
bool jget_num(const json_t *obj, const char *key, double *out);
double jget_num_or(const json_t *obj, const char *key, double dflt);

/* REL below DIR (read_file_beneath: DIR trusted, nothing below it
 * followed, at most MAX bytes) as a JSON object or array: a new
 * reference, or NULL with err_msg() naming DIR/REL, and for a syntax
 * error its line and column ("DIR/REL:3:7: ..."); errno as
 * read_file_beneath's (ENOENT: it does not exist), or EBADMSG when it
 * does not parse. */
json_t *json_load_beneath(const char *dir, const char *rel, size_t max);

/* J as PATH, indented, reals to 6 digits, 0644, replacing the file by
 * write_file (base/file.h); -1 with err_msg(). J stays the caller's. */
int json_write(const char *path, const json_t *j);

#endif
