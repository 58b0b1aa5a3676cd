/*
 * schema.h - JSON Schemas (draft-07) of the three file kinds, made from
 * the loaders' own cyaml tables, so that an editor's checks cannot drift
 * from ikelab's.
 *
 * The walker follows a cyaml_schema_value_t tree as yamlcheck.c does and
 * writes what yamlcheck accepts, read by a YAML parser into JSON: a mapping
 * is an object with its keys as "properties", no others
 * ("additionalProperties": false) and its non-optional keys "required"; a
 * sequence is an array with the table's entry counts; an integer is an
 * integer within its field's size and signedness; a boolean is true or
 * false, or one of yamlcheck's words (ycheck_bools) as text, since a YAML
 * 1.2 parser (and YAML 1.1 for "yEs") reads those as strings; an enum is
 * one of its names; a float a number. A string is any scalar: yamlcheck
 * takes `5`, `true` or an empty value as the text "5", "true" or "",
 * where a YAML parser makes a number, a boolean or null of them. What the
 * loaders check beyond the tables (names that must exist, durations,
 * trust) is not in a schema: docs/schemas.md lists it.
 */
#ifndef IKELAB_CONFIG_SCHEMA_H
#define IKELAB_CONFIG_SCHEMA_H

#include <jansson.h>
#include <stdio.h>
#include <cyaml/cyaml.h>

/* The file kinds, NULL-terminated: "scenario", "topology", "profile". */
extern const char *const schema_kinds[];

/*
 * The JSON Schema of a file loaded with SCHEMA (a CYAML_MAPPING, as
 * ycheck_load() takes), with "$id" of KIND, TITLE and DESCRIPTION at its
 * top: a new reference for the caller to json_decref(). NULL with
 * err_msg() for a table yamlcheck would refuse (a type it does not know).
 */
json_t *schema_json(const cyaml_schema_value_t *schema, const char *kind, const char *title,
		    const char *description);

/* The schema of file kind KIND (one of schema_kinds): a new reference;
 * NULL with err_msg() naming the kinds for any other. */
json_t *schema_of_kind(const char *kind);

/* S indented by 2, keys in the tables' order, and a newline, to F;
 * -1 with err_msg() when the write fails. S stays the caller's. */
int schema_print(const json_t *s, FILE *f);

#endif
