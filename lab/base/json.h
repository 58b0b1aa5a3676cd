/*
 * json.h - reading a jansson document, one way everywhere.
 *
 * Summaries, run directories, lab.json and VICI answers turned into JSON
 * are read field by field. A missing key, a null and a value of the wrong
 * type all read as "not there": NULL for strings, false (and *out left
 * alone) for numbers, which may be integers or reals. The _or forms give a
 * default instead. Nothing here allocates; strings belong to the document.
 */
#ifndef IKELAB_BASE_JSON_H
#define IKELAB_BASE_JSON_H

#include <jansson.h>
#include <stdbool.h>

const char *jget_str(const json_t *obj, const char *key);
const char *jget_str_or(const json_t *obj, const char *key, const char *dflt);
bool jget_num(const json_t *obj, const char *key, double *out);
double jget_num_or(const json_t *obj, const char *key, double dflt);

#endif
