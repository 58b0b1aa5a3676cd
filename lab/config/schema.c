/*
 * schema.c - the walker of schema.h: a cyaml table as a JSON Schema.
 */
#include "config/schema.h"
#include "base/err.h"
#include "base/util.h"
#include "config/profile.h"
#include "config/scenario.h"
#include "config/topology.h"
#include "config/yamlcheck.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

/* Under .invalid, which never resolves: an $id names, it is not fetched. */
#define SCHEMA_ID "https://ikelab.invalid/schemas/%s.schema.json"
#define SCHEMA_DRAFT "http://json-schema.org/draft-07/schema#"

const char *const schema_kinds[] = { "scenario", "topology", "profile", NULL };

static json_t *value_json(const cyaml_schema_value_t *v, const char *key);

static json_t *type_err(const cyaml_schema_value_t *v, const char *key)
{
	err_set("schema: key '%s': cyaml type %d of size %u is not one yamlcheck checks", key,
		(int)v->type, (unsigned)v->data_size);
	return NULL;
}

static bool int_size_ok(uint32_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* The range yamlcheck's check_int and check_uint allow. */
static json_t *int_json(const cyaml_schema_value_t *v, const char *key)
{
	int64_t min, max;

	if (!int_size_ok(v->data_size))
		return type_err(v, key);
	if (v->type == CYAML_INT) {
		max = (int64_t)(UINT64_MAX >> (64 - 8 * v->data_size + 1));
		min = -max - 1;
	} else {
		/* libcyaml reads unsigned values with strtoll too. */
		max = v->data_size == 8 ? INT64_MAX
					: (int64_t)(UINT64_MAX >> (64 - 8 * v->data_size));
		min = 0;
	}
	return json_pack("{s:s, s:I, s:I}", "type", "integer", "minimum", (json_int_t)min,
			 "maximum", (json_int_t)max);
}

/* "^([Tt][Rr][Uu][Ee]|...)$": ycheck_bools in any case. */
static char *bool_pattern(void)
{
	struct strbuf sb = { 0 };

	sb_addf(&sb, "^(");
	for (size_t i = 0; ycheck_bools[i]; i++) {
		sb_addf(&sb, "%s", i ? "|" : "");
		for (const char *c = ycheck_bools[i]; *c; c++)
			sb_addf(&sb, "[%c%c]", toupper((unsigned char)*c), *c);
	}
	sb_addf(&sb, ")$");
	return sb.buf;
}

static json_t *bool_json(const cyaml_schema_value_t *v, const char *key)
{
	char *pattern;
	json_t *j;

	if (!int_size_ok(v->data_size))
		return type_err(v, key);
	pattern = bool_pattern();
	j = json_pack("{s:[{s:s}, {s:s, s:s}]}", "anyOf", "type", "boolean", "type", "string",
		      "pattern", pattern);
	free(pattern);
	return j;
}

static json_t *enum_json(const cyaml_schema_value_t *v, const char *key)
{
	json_t *names = json_array();

	if (!int_size_ok(v->data_size)) {
		json_decref(names);
		return type_err(v, key);
	}
	for (uint32_t i = 0; i < v->enumeration.count; i++)
		json_array_append_new(names, json_string(v->enumeration.strings[i].str));
	return json_pack("{s:s, s:o}", "type", "string", "enum", names);
}

/* Any scalar (see schema.h); null only where the empty text is allowed. */
static json_t *string_json(const cyaml_schema_value_t *v)
{
	json_t *j = json_pack("{s:[s, s, s]}", "type", "string", "number", "boolean");

	if (!v->string.min)
		json_array_append_new(json_object_get(j, "type"), json_string("null"));
	else
		json_object_set_new(j, "minLength", json_integer(v->string.min));
	if (v->string.max != CYAML_UNLIMITED)
		json_object_set_new(j, "maxLength", json_integer(v->string.max));
	return j;
}

static json_t *sequence_json(const cyaml_schema_value_t *v, const char *key)
{
	json_t *items, *j;

	if (!(v->flags & CYAML_FLAG_POINTER) || !v->sequence.entry)
		return type_err(v, key);
	items = value_json(v->sequence.entry, key);
	if (!items)
		return NULL;
	j = json_pack("{s:s, s:o}", "type", "array", "items", items);
	if (v->sequence.min)
		json_object_set_new(j, "minItems", json_integer(v->sequence.min));
	if (v->sequence.max != CYAML_UNLIMITED)
		json_object_set_new(j, "maxItems", json_integer(v->sequence.max));
	return j;
}

static json_t *mapping_json(const cyaml_schema_field_t *fields)
{
	json_t *props = json_object(), *required = json_array(), *j;

	for (const cyaml_schema_field_t *f = fields; f->key; f++) {
		json_t *p = value_json(&f->value, f->key);

		if (!p) {
			json_decref(props);
			json_decref(required);
			return NULL;
		}
		json_object_set_new(props, f->key, p);
		if (!(f->value.flags & CYAML_FLAG_OPTIONAL))
			json_array_append_new(required, json_string(f->key));
	}
	j = json_pack("{s:s, s:o, s:b}", "type", "object", "properties", props,
		      "additionalProperties", 0);
	if (json_array_size(required))
		json_object_set_new(j, "required", required);
	else
		json_decref(required);
	return j;
}

static json_t *value_json(const cyaml_schema_value_t *v, const char *key)
{
	switch (v->type) {
	case CYAML_MAPPING:
		return mapping_json(v->mapping.fields);
	case CYAML_SEQUENCE:
		return sequence_json(v, key);
	case CYAML_INT:
	case CYAML_UINT:
		return int_json(v, key);
	case CYAML_BOOL:
		return bool_json(v, key);
	case CYAML_ENUM:
		return enum_json(v, key);
	case CYAML_FLOAT:
		if (v->data_size != sizeof(float) && v->data_size != sizeof(double))
			return type_err(v, key);
		return json_pack("{s:s}", "type", "number");
	case CYAML_STRING:
		return string_json(v);
	default:
		return type_err(v, key);
	}
}

json_t *schema_json(const cyaml_schema_value_t *schema, const char *kind, const char *title,
		    const char *description)
{
	json_t *body = value_json(schema, "(top)"), *j;
	char *id;
	const char *k;
	json_t *v;

	if (!body)
		return NULL;
	id = xasprintf(SCHEMA_ID, kind);
	j = json_pack("{s:s, s:s, s:s, s:s}", "$schema", SCHEMA_DRAFT, "$id", id, "title", title,
		      "description", description);
	free(id);
	json_object_foreach (body, k, v)
		json_object_set(j, k, v);
	json_decref(body);
	return j;
}

/* The three kinds: each loader's table, and what its schema says it is. */
static const struct {
	const char *kind, *title, *description;
	const cyaml_schema_value_t *(*table)(void);
} kinds[] = {
	{ "scenario", "ikelab scenario",
	  "A race to reproduce on a lab: its topology, profiles, faults, schedule and "
	  "expectations (docs/scenarios.md). Made by 'ikelab schema scenario' from the loader's "
	  "table; the loader checks more (docs/schemas.md).",
	  scenario_cyaml_schema },
	{ "topology", "ikelab topology",
	  "A lab's network: nodes, links, addresses and routes (docs/topologies.md). Made by "
	  "'ikelab schema topology' from the loader's table; the loader checks more "
	  "(docs/schemas.md).",
	  topology_cyaml_schema },
	{ "profile", "ikelab peer profile",
	  "How one peer's charon runs: its settings, connections and CHILD_SAs "
	  "(docs/profiles.md). Made by 'ikelab schema profile' from the loader's table; the "
	  "loader checks more (docs/schemas.md).",
	  profile_cyaml_schema },
};

json_t *schema_of_kind(const char *kind)
{
	for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
		if (!strcmp(kind, kinds[i].kind))
			return schema_json(kinds[i].table(), kind, kinds[i].title,
					   kinds[i].description);
	err_set("no schema of '%s' (there are: scenario, topology, profile)", kind);
	return NULL;
}

int schema_print(const json_t *s, FILE *f)
{
	if (json_dumpf(s, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 || fputc('\n', f) == EOF ||
	    fflush(f) == EOF)
		return err_wrap("cannot write the schema");
	return 0;
}
