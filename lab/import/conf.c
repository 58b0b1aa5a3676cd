/*
 * conf.c - strongSwan's settings syntax and ipsec.conf, read into conf_node
 * trees (conf.h). Both readers walk the text once with a cursor that knows
 * its line and column, so every refusal points at the character.
 */
#include "import/conf.h"

#include "base/err.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

#define CONF_MAX_BYTES (1024 * 1024)
#define CONF_MAX_DEPTH 16

struct cur {
	const char *path;
	const char *p, *end;
	unsigned line, col;
};

static int cur_err(const struct cur *c, const char *what)
{
	return err_set("%s:%u:%u: %s", c->path, c->line, c->col, what);
}

static int peekc(const struct cur *c)
{
	return c->p < c->end ? (unsigned char)*c->p : -1;
}

static void step(struct cur *c)
{
	if (*c->p == '\n')
		c->line++, c->col = 1;
	else
		c->col++;
	c->p++;
}

static void skip_line(struct cur *c)
{
	while (c->p < c->end && *c->p != '\n')
		step(c);
}

/* Blanks on this line (not the newline). */
static void skip_blanks(struct cur *c)
{
	while (peekc(c) == ' ' || peekc(c) == '\t' || peekc(c) == '\r')
		step(c);
}

static struct conf_node *node_new(const char *name, size_t len, unsigned line)
{
	struct conf_node *n = xcalloc(1, sizeof(*n));

	n->name = strndup(name, len);
	if (!n->name)
		abort();
	n->line = line;
	return n;
}

static void append(struct conf_node ***tail, struct conf_node *n)
{
	**tail = n;
	*tail = &n->next;
}

void conf_free(struct conf_node *n)
{
	while (n) {
		struct conf_node *next = n->next;

		conf_free(n->child);
		free(n->name);
		free(n->value);
		free(n);
		n = next;
	}
}

struct conf_node *conf_get(const struct conf_node *section, const char *name, bool setting)
{
	for (struct conf_node *n = section ? section->child : NULL; n; n = n->next)
		if (!strcmp(n->name, name) && (n->value != NULL) == setting)
			return n;
	return NULL;
}

const char *conf_take(const struct conf_node *section, const char *name)
{
	struct conf_node *n = conf_get(section, name, true);

	if (!n)
		return NULL;
	n->used = true;
	return n->value;
}

/* ---- values ------------------------------------------------------------- */

static bool name_char(int ch)
{
	return ch > ' ' && ch != '{' && ch != '}' && ch != '=' && ch != '#' && ch != ':' &&
	       ch != '"' && ch != 0x7f;
}

/* A value ends at the end of the line or a comment; a quoted one at its
 * closing quote, with \" \\ \n \t escapes. Control characters are refused:
 * a value may end up in a comment of a file the lab writes. */
static int read_quoted(struct cur *c, struct strbuf *sb)
{
	step(c);
	for (;;) {
		int ch = peekc(c);

		if (ch < 0 || ch == '\n')
			return cur_err(c, "a quoted value is not closed on its line");
		if (ch == '"')
			return step(c), 0;
		if (ch == '\\') {
			step(c);
			ch = peekc(c);
			if (ch < 0 || ch == '\n')
				return cur_err(c, "a quoted value is not closed on its line");
			ch = ch == 'n' ? ' ' : ch == 't' ? ' ' : ch;
		}
		if (ch < ' ' || ch == 0x7f)
			return cur_err(c, "a control character in a value");
		sb_add(sb, &(char){ (char)ch }, 1);
		step(c);
	}
}

static int read_value(struct cur *c, char **out)
{
	struct strbuf sb = { 0 };

	skip_blanks(c);
	if (peekc(c) == '"') {
		if (read_quoted(c, &sb) < 0)
			return sb_free(&sb), -1;
	} else {
		while (peekc(c) >= 0 && peekc(c) != '\n' && peekc(c) != '#') {
			int ch = peekc(c);

			if ((ch < ' ' && ch != '\t' && ch != '\r') || ch == 0x7f)
				return sb_free(&sb), cur_err(c, "a control character in a value");
			sb_add(&sb, &(char){ ch == '\t' || ch == '\r' ? ' ' : (char)ch }, 1);
			step(c);
		}
		while (sb.len && sb.buf[sb.len - 1] == ' ')
			sb.len--;
	}
	sb_add(&sb, "", 1);
	*out = sb.buf;
	return 0;
}

/* ---- the settings syntax -------------------------------------------------- */

static int settings_section(struct cur *c, struct conf_node *sec, unsigned depth);

/* After a name: `= value`, `{`, or `: references {`. */
static int settings_entry(struct cur *c, struct conf_node *sec, struct conf_node ***tail,
			  unsigned depth)
{
	const char *start = c->p;
	unsigned line = c->line, col = c->col;
	struct conf_node *n;

	while (name_char(peekc(c)))
		step(c);
	n = node_new(start, (size_t)(c->p - start), line);
	append(tail, n);
	if (!strcmp(n->name, "include")) {
		/* Never followed: the importer says so. */
		return read_value(c, &n->value);
	}
	skip_blanks(c);
	if (peekc(c) == '=') {
		step(c);
		return read_value(c, &n->value);
	}
	if (peekc(c) == ':') {
		step(c);
		if (read_value(c, &n->value) < 0)
			return -1;
		c->col = col, c->line = line; /* for the message */
		return cur_err(c, "section references (`name : other`) are not supported");
	}
	while (peekc(c) == ' ' || peekc(c) == '\t' || peekc(c) == '\r' || peekc(c) == '\n')
		step(c);
	if (peekc(c) != '{')
		return cur_err(c, "expected '=' or '{' after a name");
	step(c);
	return settings_section(c, n, depth + 1);
}

/* The entries of SEC up to its '}' (or the end of the file at depth 0). */
static int settings_section(struct cur *c, struct conf_node *sec, unsigned depth)
{
	struct conf_node **tail = &sec->child;

	if (depth > CONF_MAX_DEPTH)
		return cur_err(c, "sections nested too deep");
	for (;;) {
		int ch = peekc(c);

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == ';')
			step(c);
		else if (ch == '#')
			skip_line(c);
		else if (ch < 0)
			return depth ? cur_err(c, "the file ends inside a section") : 0;
		else if (ch == '}') {
			if (!depth)
				return cur_err(c, "a '}' closes no section");
			step(c);
			return 0;
		} else if (name_char(ch)) {
			if (settings_entry(c, sec, &tail, depth) < 0)
				return -1;
		} else
			return cur_err(c, "expected a name, '}' or a comment");
	}
}

static struct cur cur_of(const char *path, const char *text, unsigned long len)
{
	return (struct cur){ .path = path, .p = text, .end = text + len, .line = 1, .col = 1 };
}

struct conf_node *conf_parse_settings_text(const char *path, const char *text, unsigned long len)
{
	struct cur c = cur_of(path, text, len);
	struct conf_node *root = node_new("", 0, 0);

	if (settings_section(&c, root, 0) < 0)
		return conf_free(root), NULL;
	return root;
}

typedef struct conf_node *(*parse_fn)(const char *, const char *, unsigned long);

static struct conf_node *parse_file(const char *path, parse_fn fn)
{
	char *text;
	size_t len;
	struct conf_node *root;

	if (read_file_untrusted(path, CONF_MAX_BYTES, &text, &len) < 0)
		return NULL;
	if (memchr(text, '\0', len)) {
		free(text);
		return err_set("%s: a NUL byte: not a configuration file", path), NULL;
	}
	root = fn(path, text, len);
	free(text);
	return root;
}

struct conf_node *conf_parse_settings(const char *path)
{
	return parse_file(path, conf_parse_settings_text);
}

/* ---- ipsec.conf ------------------------------------------------------------ */

/* A line at column 1: `config setup`, `conn NAME`, `ca NAME`, `include F`
 * or `version 2`. */
static int ipsec_header(struct cur *c, struct conf_node ***tail, struct conf_node **sec)
{
	const char *start = c->p;
	unsigned line = c->line;
	struct conf_node *n;

	while (name_char(peekc(c)))
		step(c);
	n = node_new(start, (size_t)(c->p - start), line);
	append(tail, n);
	if (read_value(c, &n->value) < 0)
		return -1;
	if (!strcmp(n->name, "include") || !strcmp(n->name, "version")) {
		*sec = NULL;
		return 0;
	}
	if (strcmp(n->name, "conn") && strcmp(n->name, "config") && strcmp(n->name, "ca")) {
		c->line = line, c->col = 1;
		return cur_err(c, "expected 'config setup', 'conn NAME' or 'ca NAME' at the start "
				  "of a line (settings are indented)");
	}
	if (!*n->value || strchr(n->value, ' ')) {
		c->line = line, c->col = (unsigned)strlen(n->name) + 2;
		return cur_err(c, "a section needs one name");
	}
	*sec = n;
	return 0;
}

/* An indented `key=value` of section SEC. */
static int ipsec_setting(struct cur *c, struct conf_node *sec, struct conf_node ***tail)
{
	const char *start = c->p;
	unsigned line = c->line;
	struct conf_node *n;

	if (!sec)
		return cur_err(c, "a setting outside any section");
	while (name_char(peekc(c)))
		step(c);
	if (c->p == start)
		return cur_err(c, "expected key=value");
	n = node_new(start, (size_t)(c->p - start), line);
	append(tail, n);
	skip_blanks(c);
	if (peekc(c) != '=')
		return cur_err(c, "expected '=' after the key");
	step(c);
	return read_value(c, &n->value);
}

struct conf_node *conf_parse_ipsec_text(const char *path, const char *text, unsigned long len)
{
	struct cur c = cur_of(path, text, len);
	struct conf_node *root = node_new("", 0, 0), *sec = NULL;
	struct conf_node **top = &root->child, **settings = NULL;

	while (peekc(&c) >= 0) {
		int ch = peekc(&c);

		if (c.col == 1 && name_char(ch)) {
			if (ipsec_header(&c, &top, &sec) < 0)
				goto fail;
			settings = sec ? &sec->child : NULL;
			continue;
		}
		skip_blanks(&c);
		ch = peekc(&c);
		if (ch == '#')
			skip_line(&c);
		else if (ch == '\n')
			step(&c);
		else if (ch >= 0 && ipsec_setting(&c, sec, &settings) < 0)
			goto fail;
	}
	return root;
fail:
	conf_free(root);
	return NULL;
}

struct conf_node *conf_parse_ipsec(const char *path)
{
	return parse_file(path, conf_parse_ipsec_text);
}
