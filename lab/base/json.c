/*
 * json.c - reading a jansson document (see json.h).
 */
#include "base/json.h"

const char *jget_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

const char *jget_str_or(const json_t *obj, const char *key, const char *dflt)
{
	const char *s = jget_str(obj, key);

	return s ? s : dflt;
}

bool jget_num(const json_t *obj, const char *key, double *out)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

double jget_num_or(const json_t *obj, const char *key, double dflt)
{
	double v;

	return jget_num(obj, key, &v) ? v : dflt;
}
