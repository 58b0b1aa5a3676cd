/*
 * test_schema.c - the JSON Schema walker (config/schema.h) on a table of
 * every type yamlcheck knows: required and optional keys, no other keys,
 * integer ranges by size and sign, boolean words, enums, list lengths,
 * string lengths; a type yamlcheck refuses; the three kinds and an
 * unknown one. tests/schema/run.sh checks the real tables against files.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "config/schema.h"

struct rec {
	char *name;
	uint8_t *small;
	int16_t level;
	bool *on;
	int role;
	double ratio;
	char **items;
	unsigned items_count;
};

static const cyaml_strval_t roles[] = { { "peer", 0 }, { "router", 1 } };

static const cyaml_schema_value_t item_schema = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, 8),
};

static const cyaml_schema_field_t rec_fields[] = {
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_DEFAULT, struct rec, name, 0, CYAML_UNLIMITED),
	CYAML_FIELD_UINT_PTR("small", CYAML_FLAG_OPTIONAL, struct rec, small),
	CYAML_FIELD_INT("level", CYAML_FLAG_OPTIONAL, struct rec, level),
	CYAML_FIELD_BOOL_PTR("on", CYAML_FLAG_OPTIONAL, struct rec, on),
	CYAML_FIELD_ENUM("role", CYAML_FLAG_STRICT, struct rec, role, roles, 2),
	CYAML_FIELD_FLOAT("ratio", CYAML_FLAG_OPTIONAL, struct rec, ratio),
	CYAML_FIELD_SEQUENCE("items", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct rec, items,
			     &item_schema, 1, 3),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t rec_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct rec, rec_fields),
};

static json_t *prop(json_t *s, const char *key)
{
	return json_object_get(json_object_get(s, "properties"), key);
}

static json_int_t num(json_t *s, const char *key)
{
	return json_integer_value(json_object_get(s, key));
}

START_TEST(test_mapping)
{
	json_t *s = schema_json(&rec_schema, "rec", "T", "D");
	json_t *req;

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(json_string_value(json_object_get(s, "$id")),
			 "https://ikelab.invalid/schemas/rec.schema.json");
	ck_assert_str_eq(json_string_value(json_object_get(s, "type")), "object");
	ck_assert (json_is_false(json_object_get(s, "additionalProperties")))
		;
	req = json_object_get(s, "required");
	ck_assert_int_eq(json_array_size(req), 2);
	ck_assert_str_eq(json_string_value(json_array_get(req, 0)), "name");
	ck_assert_str_eq(json_string_value(json_array_get(req, 1)), "role");
	ck_assert_int_eq(json_object_size(json_object_get(s, "properties")), 7);
	json_decref(s);
}
END_TEST

START_TEST(test_scalars)
{
	json_t *s = schema_json(&rec_schema, "rec", "T", "D");
	json_t *on, *items, *role;
	const char *pattern;

	ck_assert_int_eq(num(prop(s, "small"), "minimum"), 0);
	ck_assert_int_eq(num(prop(s, "small"), "maximum"), 255);
	ck_assert_int_eq(num(prop(s, "level"), "minimum"), -32768);
	ck_assert_int_eq(num(prop(s, "level"), "maximum"), 32767);
	on = json_object_get(prop(s, "on"), "anyOf");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(on, 0), "type")),
			 "boolean");
	pattern = json_string_value(json_object_get(json_array_get(on, 1), "pattern"));
	ck_assert_ptr_nonnull(strstr(pattern, "[Yy][Ee][Ss]"));
	ck_assert_ptr_nonnull(strstr(pattern, "[Oo][Ff][Ff]"));
	role = json_object_get(prop(s, "role"), "enum");
	ck_assert_int_eq(json_array_size(role), 2);
	ck_assert_str_eq(json_string_value(json_array_get(role, 1)), "router");
	ck_assert_str_eq(json_string_value(json_object_get(prop(s, "ratio"), "type")), "number");
	/* A string is any scalar; null only where the empty text loads. */
	ck_assert_int_eq(json_array_size(json_object_get(prop(s, "name"), "type")), 4);
	items = prop(s, "items");
	ck_assert_int_eq(num(items, "minItems"), 1);
	ck_assert_int_eq(num(items, "maxItems"), 3);
	ck_assert_int_eq(json_array_size(json_object_get(json_object_get(items, "items"), "type")),
			 3);
	ck_assert_int_eq(num(json_object_get(items, "items"), "minLength"), 1);
	ck_assert_int_eq(num(json_object_get(items, "items"), "maxLength"), 8);
	json_decref(s);
}
END_TEST

static const cyaml_schema_field_t bad_fields[] = {
	CYAML_FIELD_IGNORE("odd", CYAML_FLAG_OPTIONAL),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t bad_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct rec, bad_fields),
};

START_TEST(test_refused)
{
	ck_assert_ptr_null(schema_json(&bad_schema, "bad", "T", "D"));
	ck_assert_ptr_nonnull(strstr(err_msg(), "key 'odd'"));
	ck_assert_ptr_null(schema_of_kind("lab"));
	ck_assert_str_eq(err_msg(), "no schema of 'lab' (there are: scenario, topology, profile)");
}
END_TEST

START_TEST(test_kinds)
{
	for (int i = 0; schema_kinds[i]; i++) {
		json_t *s = schema_of_kind(schema_kinds[i]);

		ck_assert_ptr_nonnull(s);
		ck_assert (json_is_false(json_object_get(s, "additionalProperties")))
			;
		json_decref(s);
	}
}
END_TEST

static Suite *schema_suite(void)
{
	Suite *s = suite_create("schema");
	TCase *tc = tcase_create("walk");

	tcase_add_test(tc, test_mapping);
	tcase_add_test(tc, test_scalars);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_kinds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(schema_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
