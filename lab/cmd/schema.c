/*
 * schema.c - `ikelab schema KIND`: the JSON Schema of a file kind on
 * stdout (config/schema.h makes it from the loader's table). Nothing is
 * loaded and no lab is touched: schemas/ in the tree is this output.
 */
#include "cmd/cmd.h"

#include "base/err.h"
#include "config/schema.h"

#include <stdio.h>

int cmd_schema(const struct cli *c)
{
	json_t *s;
	int rc;

	if (c->npos != 1)
		return usage_fail(c);
	s = schema_of_kind(c->pos[0]);
	if (!s)
		return fail();
	rc = schema_print(s, stdout) < 0 ? fail() : 0;
	json_decref(s);
	return rc;
}
