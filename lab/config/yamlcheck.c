#include "config/yamlcheck.h"
#include "config/yamlcheck-internal.h"
#include "base/err.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define YPATH_MAX 256
#define CYLOG_MAX 256
/* What a document may amount to once its aliases are expanded, in bytes:
 * a value counts its length, every node YNODE_COST (about what libcyaml
 * allocates for one). libyaml shares an aliased node, but libcyaml copies
 * it for each alias, so a few KiB of aliases to aliases would otherwise
 * load as gigabytes. The shipped files amount to a few KiB. */
#define YEXPAND_MAX (16 << 20)
#define YNODE_COST 64

/* One pass over the node tree alongside the schema. */
struct walk {
	const struct ydoc *d;
	char path[YPATH_MAX]; /* of the node being looked at */
	size_t len;
	size_t expanded; /* nodes and value bytes so far, aliases
	                           followed (YEXPAND_MAX) */
};

static int walk_err(const struct walk *w, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int walk_err(const struct walk *w, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pos_err(w->d, &n->start_mark, w->path, msg);
}

static size_t path_push(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append a path segment; returns the length to cut back to. */
static size_t path_push(struct walk *w, const char *fmt, ...)
{
	size_t old = w->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(w->path + w->len, sizeof(w->path) - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(w->path) - w->len)
		w->len = sizeof(w->path) - 1;
	else
		w->len += (size_t)n;
	return old;
}

static void path_pop(struct walk *w, size_t len)
{
	w->len = len;
	w->path[len] = '\0';
}

/* What the document has, for "expected X, found Y". */
static const char *found(const yaml_node_t *n, char *buf, size_t size)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a sequence";
	if (!n->data.scalar.length)
		return "an empty value";
	snprintf(buf, size, "'%.60s'", scalar(n));
	return buf;
}

static const char *wanted(const cyaml_schema_value_t *s)
{
	switch (s->type) {
	case CYAML_MAPPING:
		return "a mapping";
	case CYAML_SEQUENCE:
		return "a sequence";
	case CYAML_INT:
	case CYAML_UINT:
		return "an integer";
	case CYAML_BOOL:
		return "a boolean (true or false)";
	case CYAML_FLOAT:
		return "a number";
	default:
		return "a string";
	}
}

static int type_err(const struct walk *w, const yaml_node_t *n, const cyaml_schema_value_t *s)
{
	char buf[80];

	return walk_err(w, n, "expected %s, found %s", wanted(s), found(n, buf, sizeof(buf)));
}

static int check_string(const struct walk *w, const yaml_node_t *n, const cyaml_schema_value_t *s)
{
	size_t len = strlen(scalar(n));

	if (len < s->string.min)
		return walk_err(w, n, "'%s' is shorter than %" PRIu32 " characters", scalar(n),
				s->string.min);
	if (len > s->string.max)
		return walk_err(w, n, "'%.60s' is longer than %" PRIu32 " characters", scalar(n),
				s->string.max);
	return 0;
}

/*
 * Decimal digits with an optional sign, no leading zero: libcyaml reads
 * integers with strtoll(..., 0), which takes "010" as octal and "0x10" as
 * hex, and stops quietly at the first bad character ("5x" is 5).
 */
static bool dec_parse(const char *v, bool *neg, uint64_t *mag, bool *big)
{
	const char *p = v;

	*neg = false;
	*mag = 0;
	*big = false;
	if (*p == '-' || *p == '+')
		*neg = *p++ == '-';
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1]))
		return false;
	for (; *p; p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (*p < '0' || *p > '9')
			return false;
		if (*mag > (UINT64_MAX - digit) / 10)
			*big = true;
		else
			*mag = *mag * 10 + digit;
	}
	return true;
}

static bool int_size_ok(const cyaml_schema_value_t *s)
{
	return s->data_size == 1 || s->data_size == 2 || s->data_size == 4 || s->data_size == 8;
}

static int check_int(const struct walk *w, const yaml_node_t *n, const cyaml_schema_value_t *s)
{
	int64_t max = (int64_t)(UINT64_MAX >> (64 - 8 * s->data_size + 1));
	int64_t min = -max - 1;
	uint64_t mag;
	bool neg, big;

	if (!n->data.scalar.length)
		return type_err(w, n, s);
	if (!dec_parse(scalar(n), &neg, &mag, &big))
		return walk_err(w, n, "'%.60s' is not a decimal integer", scalar(n));
	if (big || mag > (uint64_t)max + neg)
		return walk_err(w, n, "%s is out of range (%" PRId64 "..%" PRId64 ")", scalar(n),
				min, max);
	return 0;
}

static int check_uint(const struct walk *w, const yaml_node_t *n, const cyaml_schema_value_t *s)
{
	/* libcyaml reads unsigned values with strtoll too. */
	uint64_t max = s->data_size == 8 ? INT64_MAX : UINT64_MAX >> (64 - 8 * s->data_size);
	uint64_t mag;
	bool neg, big;

	if (!n->data.scalar.length)
		return type_err(w, n, s);
	if (!dec_parse(scalar(n), &neg, &mag, &big))
		return walk_err(w, n, "'%.60s' is not a decimal integer", scalar(n));
	if (big || mag > max || (neg && mag))
		return walk_err(w, n, "%s is out of range (0..%" PRIu64 ")", scalar(n), max);
	return 0;
}

/* libcyaml reads these as we do; anything else it would take as true. */
const char *const ycheck_bools[] = {
	"true", "false", "yes", "no", "on", "off", NULL,
};

static int check_bool(const struct walk *w, const yaml_node_t *n, const cyaml_schema_value_t *s)
{
	for (size_t i = 0; ycheck_bools[i]; i++)
		if (!strcasecmp(scalar(n), ycheck_bools[i]))
			return 0;
	if (!n->data.scalar.length)
		return type_err(w, n, s);
	return walk_err(w, n,
			"'%.60s' is not a boolean "
			"(true/false, yes/no, on/off)",
			scalar(n));
}

static int check_enum(const struct walk *w, const yaml_node_t *n, const cyaml_schema_value_t *s)
{
	struct strbuf sb = { 0 };
	int rc;

	for (uint32_t i = 0; i < s->enumeration.count; i++)
		if (!strcmp(scalar(n), s->enumeration.strings[i].str))
			return 0;
	for (uint32_t i = 0; i < s->enumeration.count; i++)
		sb_addf(&sb, "%s%s", i ? ", " : "", s->enumeration.strings[i].str);
	rc = walk_err(w, n, "'%.60s' is not one of: %s", scalar(n), sb.buf);
	sb_free(&sb);
	return rc;
}

static int check_float(const struct walk *w, const yaml_node_t *n, const cyaml_schema_value_t *s)
{
	const char *v = scalar(n);
	char *end;
	double x;

	if (!n->data.scalar.length)
		return type_err(w, n, s);
	errno = 0;
	x = s->data_size == sizeof(float) ? strtof(v, &end) : strtod(v, &end);
	if (end == v || *end)
		return walk_err(w, n, "'%.60s' is not a number", v);
	if (errno == ERANGE || !isfinite(x))
		return walk_err(w, n, "%.60s is out of range", v);
	return 0;
}

static bool schema_ok(const cyaml_schema_value_t *s)
{
	switch (s->type) {
	case CYAML_INT:
	case CYAML_UINT:
	case CYAML_BOOL:
	case CYAML_ENUM:
		return int_size_ok(s);
	case CYAML_FLOAT:
		return s->data_size == sizeof(float) || s->data_size == sizeof(double);
	case CYAML_STRING:
	case CYAML_MAPPING:
		return true;
	case CYAML_SEQUENCE:
		return (s->flags & CYAML_FLAG_POINTER) && s->sequence.entry;
	default:
		return false;
	}
}

static int walk_value(struct walk *w, const yaml_node_t *n, const cyaml_schema_value_t *s);

static const yaml_node_pair_t *pair_find(const struct ydoc *d, const yaml_node_t *map,
					 const yaml_node_pair_t *end, const char *key)
{
	for (const yaml_node_pair_t *p = map->data.mapping.pairs.start; p < end; p++) {
		const yaml_node_t *k = node_at(d, p->key);

		if (k->type == YAML_SCALAR_NODE && !strcmp(scalar(k), key))
			return p;
	}
	return NULL;
}

static const cyaml_schema_field_t *field_find(const cyaml_schema_field_t *f, const char *key)
{
	for (; f->key; f++)
		if (!strcmp(f->key, key))
			return f;
	return NULL;
}

static int unknown_key(const struct walk *w, const yaml_node_t *key,
		       const cyaml_schema_field_t *fields)
{
	struct strbuf sb = { 0 };
	int rc;

	for (const cyaml_schema_field_t *f = fields; f->key; f++)
		sb_addf(&sb, "%s%s", f == fields ? "" : ", ", f->key);
	rc = walk_err(w, key, "unknown key '%.60s' (allowed: %s)", scalar(key),
		      sb.buf ? sb.buf : "none");
	sb_free(&sb);
	return rc;
}

static int walk_pair(struct walk *w, const yaml_node_t *map, const yaml_node_pair_t *p,
		     const cyaml_schema_field_t *fields)
{
	const yaml_node_t *key = node_at(w->d, p->key);
	const yaml_node_pair_t *dup;
	const cyaml_schema_field_t *f;
	char buf[80];
	size_t old;

	if (key->type != YAML_SCALAR_NODE)
		return walk_err(w, key, "expected a key name, found %s",
				found(key, buf, sizeof(buf)));
	f = field_find(fields, scalar(key));
	if (!f)
		return unknown_key(w, key, fields);
	dup = pair_find(w->d, map, p, scalar(key));
	if (dup)
		return walk_err(w, key,
				"duplicate key '%s' (first at line "
				"%zu)",
				scalar(key), node_at(w->d, dup->key)->start_mark.line + 1);
	old = path_push(w, "%s%s", w->len ? "." : "", f->key);
	if (walk_value(w, node_at(w->d, p->value), &f->value) < 0)
		return -1;
	path_pop(w, old);
	return 0;
}

static int walk_mapping(struct walk *w, const yaml_node_t *n, const cyaml_schema_field_t *fields)
{
	const yaml_node_pair_t *top = n->data.mapping.pairs.top;

	for (const yaml_node_pair_t *p = n->data.mapping.pairs.start; p < top; p++)
		if (walk_pair(w, n, p, fields) < 0)
			return -1;
	for (const cyaml_schema_field_t *f = fields; f->key; f++)
		if (!(f->value.flags & CYAML_FLAG_OPTIONAL) && !pair_find(w->d, n, top, f->key))
			return walk_err(w, n, "missing required key '%s'", f->key);
	return 0;
}

static int count_err(const struct walk *w, const yaml_node_t *n, const cyaml_schema_value_t *s,
		     size_t count)
{
	uint32_t min = s->sequence.min, max = s->sequence.max;

	if (min == max)
		return walk_err(w, n,
				"expected exactly %" PRIu32 " entr%s, "
				"found %zu",
				min, min == 1 ? "y" : "ies", count);
	if (count < min)
		return walk_err(w, n,
				"expected at least %" PRIu32 " entr%s, "
				"found %zu",
				min, min == 1 ? "y" : "ies", count);
	return walk_err(w, n, "expected at most %" PRIu32 " entr%s, found %zu", max,
			max == 1 ? "y" : "ies", count);
}

static int walk_sequence(struct walk *w, const yaml_node_t *n, const cyaml_schema_value_t *s)
{
	const yaml_node_item_t *items = n->data.sequence.items.start;
	size_t count = (size_t)(n->data.sequence.items.top - items);

	for (size_t i = 0; i < count; i++) {
		size_t old = path_push(w, "[%zu]", i);

		if (walk_value(w, node_at(w->d, items[i]), s->sequence.entry) < 0)
			return -1;
		path_pop(w, old);
	}
	if (count < s->sequence.min)
		return count_err(w, n, s, count);
	/* Too many: point at the first entry too many. */
	if (count > s->sequence.max)
		return count_err(w, node_at(w->d, items[s->sequence.max]), s, count);
	return 0;
}

static int walk_value(struct walk *w, const yaml_node_t *n, const cyaml_schema_value_t *s)
{
	w->expanded += YNODE_COST + (n->type == YAML_SCALAR_NODE ? n->data.scalar.length : 0);
	if (w->expanded > YEXPAND_MAX)
		return walk_err(w, n,
				"the document is larger than %d MiB "
				"with its aliases expanded",
				YEXPAND_MAX >> 20);
	if (!schema_ok(s))
		return walk_err(w, n,
				"yamlcheck cannot check schema type %d "
				"of size %" PRIu32,
				(int)s->type, s->data_size);
	if (s->type == CYAML_MAPPING)
		return n->type == YAML_MAPPING_NODE ? walk_mapping(w, n, s->mapping.fields)
						    : type_err(w, n, s);
	if (s->type == CYAML_SEQUENCE)
		return n->type == YAML_SEQUENCE_NODE ? walk_sequence(w, n, s) : type_err(w, n, s);
	if (n->type != YAML_SCALAR_NODE)
		return type_err(w, n, s);
	switch (s->type) {
	case CYAML_INT:
		return check_int(w, n, s);
	case CYAML_UINT:
		return check_uint(w, n, s);
	case CYAML_BOOL:
		return check_bool(w, n, s);
	case CYAML_ENUM:
		return check_enum(w, n, s);
	case CYAML_FLOAT:
		return check_float(w, n, s);
	default:
		return check_string(w, n, s);
	}
}

static int walk_doc(const struct ydoc *d, const cyaml_schema_value_t *schema)
{
	struct walk w = { .d = d };
	const yaml_node_t *root = node_at(d, 1);

	if (root->type != YAML_MAPPING_NODE) {
		char buf[80];

		return walk_err(&w, root,
				"expected a mapping at the top "
				"level, found %s",
				found(root, buf, sizeof(buf)));
	}
	return walk_value(&w, root, schema);
}

static int syntax_err(const struct ydoc *d, const yaml_parser_t *p)
{
	const yaml_mark_t *m = &p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR)
		return err_set("%s: libyaml ran out of memory", d->file);
	if (p->context)
		return err_set("%s:%zu:%zu: YAML syntax error: %s (%s at "
			       "line %zu)",
			       d->file, m->line + 1, m->column + 1, p->problem, p->context,
			       p->context_mark.line + 1);
	return err_set("%s:%zu:%zu: YAML syntax error: %s", d->file, m->line + 1, m->column + 1,
		       p->problem);
}

/* One YAML document with something in it; a second one is refused rather
 * than silently ignored. */
int ydoc_parse(struct ydoc *d, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_document_t next;
	const yaml_node_t *root;
	int rc = -1;

	if (!yaml_parser_initialize(&p))
		return err_set("%s: cannot initialise libyaml", d->file);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &d->doc)) {
		syntax_err(d, &p);
		goto out;
	}
	d->loaded = true;
	if (!yaml_document_get_root_node(&d->doc)) {
		err_set("%s:1:1: the file is empty (expected a mapping)", d->file);
		goto out;
	}
	if (!yaml_parser_load(&p, &next)) {
		syntax_err(d, &p);
		goto out;
	}
	root = yaml_document_get_root_node(&next);
	if (root)
		err_set("%s:%zu:%zu: a second YAML document is not supported", d->file,
			next.start_mark.line + 1, next.start_mark.column + 1);
	else
		rc = 0;
	yaml_document_delete(&next);
out:
	yaml_parser_delete(&p);
	return rc;
}

/* libcyaml's first error line, in case it fails after our check passed. */
static void log_first(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	char *buf = ctx;
	size_t len;

	if (level < CYAML_LOG_ERROR || buf[0])
		return;
	vsnprintf(buf, CYLOG_MAX, fmt, args);
	len = strcspn(buf, "\n");
	buf[len] = '\0';
}

static const cyaml_config_t free_config = {
	.mem_fn = cyaml_mem,
	.log_level = CYAML_LOG_ERROR,
};

static int load_data(const struct ydoc *d, const char *text, size_t len,
		     const cyaml_schema_value_t *schema, void **out)
{
	char log[CYLOG_MAX] = "";
	cyaml_config_t cfg = {
		.log_fn = log_first,
		.log_ctx = log,
		.mem_fn = cyaml_mem,
		.log_level = CYAML_LOG_ERROR,
	};
	cyaml_err_t e;

	*out = NULL;
	e = cyaml_load_data((const uint8_t *)text, len, &cfg, schema, out, NULL);
	if (e != CYAML_OK)
		return err_set("%s: libcyaml: %s%s%s", d->file, cyaml_strerror(e),
			       log[0] ? ": " : "", log);
	/* An empty mapping loads as NULL; callers get zeroed data. cyaml_mem
	 * is realloc, so cyaml_free frees this too. */
	if (!*out)
		*out = xcalloc(1, schema->data_size);
	return 0;
}

int ycheck_load(const char *path, const cyaml_schema_value_t *schema, void **out,
		struct ydoc **docp)
{
	return ycheck_load_set(path, schema, NULL, 0, out, docp);
}

int ycheck_load_set(const char *path, const cyaml_schema_value_t *schema, const char *const *sets,
		    unsigned n_sets, void **out, struct ydoc **docp)
{
	struct ydoc *d;
	char *text;
	size_t len;
	void *data = NULL;

	if (read_file(path, &text, &len) < 0)
		return -1;
	d = xcalloc(1, sizeof(*d));
	d->file = xstrdup(path);
	d->text = text;
	if (ydoc_parse(d, text, len) < 0 || (n_sets && ydoc_apply_sets(d, sets, n_sets) < 0) ||
	    walk_doc(d, schema) < 0 || load_data(d, d->text, strlen(d->text), schema, &data) < 0) {
		ydoc_free(d);
		return -1;
	}
	*out = data;
	if (docp)
		*docp = d;
	else
		ydoc_free(d);
	return 0;
}

void ycheck_free(const cyaml_schema_value_t *schema, void *data)
{
	if (data)
		cyaml_free(&free_config, schema, data, 0);
}

unsigned ycheck_count(const void *data, const cyaml_schema_field_t *f)
{
	const uint8_t *p = (const uint8_t *)data + f->count_offset;

	switch (f->count_size) {
	case 1:
		return *p;
	case 2:
		return *(const uint16_t *)(const void *)p;
	case 4:
		return *(const uint32_t *)(const void *)p;
	default:
		return (unsigned)*(const uint64_t *)(const void *)p;
	}
}

static void overlay_fields(const cyaml_schema_field_t *f, uint8_t *dst, uint8_t *src)
{
	for (; f->key; f++) {
		void **d = (void **)(dst + f->data_offset);
		void **s = (void **)(src + f->data_offset);

		if (!(f->value.flags & CYAML_FLAG_POINTER) || !*s)
			continue;
		if (f->value.type == CYAML_MAPPING && *d) {
			overlay_fields(f->value.mapping.fields, *d, *s);
			continue;
		}
		/* Replace: the old value goes, the new one moves over. */
		if (f->value.type == CYAML_SEQUENCE) {
			cyaml_free(&free_config, &f->value, *d, ycheck_count(dst, f));
			memcpy(dst + f->count_offset, src + f->count_offset, f->count_size);
			memset(src + f->count_offset, 0, f->count_size);
		} else {
			cyaml_free(&free_config, &f->value, *d, 0);
		}
		*d = *s;
		*s = NULL;
	}
}

void ycheck_overlay(const cyaml_schema_value_t *schema, void *dst, void *src)
{
	overlay_fields(schema->mapping.fields, dst, src);
	/* What is left in src was not moved: free it with its shell. */
	ycheck_free(schema, src);
}

void ydoc_free(struct ydoc *d)
{
	if (!d)
		return;
	if (d->loaded)
		yaml_document_delete(&d->doc);
	free(d->file);
	free(d->text);
	free(d);
}

const char *ydoc_file(const struct ydoc *d)
{
	return d->file;
}
