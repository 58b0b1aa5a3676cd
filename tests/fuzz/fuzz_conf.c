/*
 * fuzz_conf.c - the readers of a report's configuration (import/conf.h):
 * strongSwan's settings syntax (swanctl.conf, strongswan.conf) and
 * ipsec.conf, from bytes nobody checked.
 *
 * Input: one byte that picks the reader (even: settings, odd: ipsec.conf),
 * then the file's text. A tree that is returned must hold what the
 * importer relies on: names without blanks or braces, values without
 * control characters, line numbers within the input.
 */
#include "base/err.h"
#include "import/conf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct conf_node *n, unsigned lines, unsigned depth)
{
	CHECK(depth < 64);
	for (; n; n = n->next) {
		CHECK(*n->name);
		CHECK(!strpbrk(n->name, " \t\r\n{}=#"));
		CHECK(n->line >= 1 && n->line <= lines);
		if (n->value)
			for (const char *p = n->value; *p; p++)
				CHECK((unsigned char)*p >= ' ' && *p != 0x7f);
		walk(n->child, lines, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_node *root;
	const char *text = (const char *)data + 1;
	unsigned lines = 1;

	if (size < 1)
		return 0;
	for (size_t i = 1; i < size; i++)
		lines += data[i] == '\n';
	root = data[0] & 1 ? conf_parse_ipsec_text("f", text, size - 1)
			   : conf_parse_settings_text("f", text, size - 1);
	if (root)
		walk(root->child, lines, 0);
	else
		CHECK(!strncmp(err_msg(), "f:", 2));
	conf_free(root);
	err_clear();
	return 0;
}
