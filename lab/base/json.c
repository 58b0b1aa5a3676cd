/*
 * json.c - reading a jansson document (see json.h).
 */
#include "base/json.h"
#include "base/err.h"
#include "base/file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

json_t *json_load_beneath(const char *dir, const char *rel, size_t max)
{
	json_error_t je;
	size_t len;
	char *text;
	json_t *j;

	if (read_file_beneath(dir, rel, max, &text, &len) < 0)
		return NULL;
	j = json_loadb(text, len, 0, &je);
	free(text);
	if (!j) {
		err_set("%s/%s:%d:%d: %s", dir, rel, je.line, je.column, je.text);
		errno = EBADMSG;
	}
	return j;
}

int json_write(const char *path, const json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	int r = text ? write_file(path, text, strlen(text), 0644)
		     : err_set("%s: the JSON could not be written out", path);

	free(text);
	return r;
}
