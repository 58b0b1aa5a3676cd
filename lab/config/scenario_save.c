/*
 * scenario_save.c - a scenario written back as YAML, with the files it
 * names as absolute paths (scenario-internal.h).
 */
#include "config/scenario.h"
#include "base/err.h"
#include "base/util.h"
#include "config/scenario-internal.h"
#include "config/yamlcheck.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Saving */

struct saver {
	yaml_emitter_t em;
	struct strbuf out;
	bool failed;
};

static int save_write(void *ctx, unsigned char *buf, size_t size)
{
	sb_add(&((struct saver *)ctx)->out, buf, size);
	return 1;
}

/* Once the emitter failed it stays failed: later events are dropped
 * (the emitter frees those it was handed). */
static void save_event(struct saver *sv, yaml_event_t *ev, int made)
{
	if (!made)
		sv->failed = true;
	else if (sv->failed)
		yaml_event_delete(ev);
	else if (!yaml_emitter_emit(&sv->em, ev))
		sv->failed = true;
}

/* Implicit both plain and quoted: the emitter picks the style, and a
 * quoted string gets no !!str tag. */
static void save_scalar(struct saver *sv, const char *text, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	save_event(sv, &ev,
		   yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text,
						(int)strlen(text), 1, 1, style));
}

static uint64_t read_uint(const void *p, size_t size)
{
	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		return *(const uint16_t *)p;
	case 4:
		return *(const uint32_t *)p;
	default:
		return *(const uint64_t *)p;
	}
}

static int64_t read_int(const void *p, size_t size)
{
	switch (size) {
	case 1:
		return *(const int8_t *)p;
	case 2:
		return *(const int16_t *)p;
	case 4:
		return *(const int32_t *)p;
	default:
		return *(const int64_t *)p;
	}
}

static void save_value(struct saver *sv, const cyaml_schema_value_t *v, const void *data,
		       unsigned count);

/* Fields that are NULL (optional and absent) or empty sequences are left
 * out, as the file did not have them. */
static void save_mapping(struct saver *sv, const cyaml_schema_field_t *f, const void *data)
{
	yaml_event_t ev;

	save_event(
		sv, &ev,
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
	for (; f->key; f++) {
		const void *p = (const char *)data + f->data_offset;
		unsigned count = f->value.type == CYAML_SEQUENCE ? ycheck_count(data, f) : 0;

		if (f->value.flags & CYAML_FLAG_POINTER)
			p = *(const void *const *)p;
		if (!p || (f->value.type == CYAML_SEQUENCE && !count))
			continue;
		save_scalar(sv, f->key, YAML_ANY_SCALAR_STYLE);
		save_value(sv, &f->value, p, count);
	}
	save_event(sv, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void save_sequence(struct saver *sv, const cyaml_schema_value_t *e, const char *data,
			  unsigned count)
{
	bool ptr = e->flags & CYAML_FLAG_POINTER;
	size_t size = ptr ? sizeof(void *) : e->data_size;
	yaml_event_t ev;

	save_event(sv, &ev,
		   yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
							YAML_BLOCK_SEQUENCE_STYLE));
	for (unsigned i = 0; i < count; i++) {
		const void *item = data + i * size;

		save_value(sv, e, ptr ? *(const void *const *)item : item, 0);
	}
	save_event(sv, &ev, yaml_sequence_end_event_initialize(&ev));
}

/* DATA is the value itself (a pointer field already followed). The
 * schemas here use pointer strings, integers, booleans, mappings and
 * sequences; anything else is an internal error. */
static void save_value(struct saver *sv, const cyaml_schema_value_t *v, const void *data,
		       unsigned count)
{
	char num[24];

	switch (v->type) {
	case CYAML_STRING:
		save_scalar(sv, data,
			    strchr(data, '\n') ? YAML_LITERAL_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
		break;
	case CYAML_UINT:
		snprintf(num, sizeof(num), "%" PRIu64, read_uint(data, v->data_size));
		save_scalar(sv, num, YAML_PLAIN_SCALAR_STYLE);
		break;
	case CYAML_INT:
		snprintf(num, sizeof(num), "%" PRId64, read_int(data, v->data_size));
		save_scalar(sv, num, YAML_PLAIN_SCALAR_STYLE);
		break;
	case CYAML_BOOL:
		save_scalar(sv, read_uint(data, v->data_size) ? "true" : "false",
			    YAML_PLAIN_SCALAR_STYLE);
		break;
	case CYAML_MAPPING:
		save_mapping(sv, v->mapping.fields, data);
		break;
	case CYAML_SEQUENCE:
		save_sequence(sv, v->sequence.entry, data, count);
		break;
	default:
		sv->failed = true;
	}
}

/* The document, as YAML text in OUT. */
static int save_doc(const struct scenario *s, struct strbuf *out)
{
	struct saver sv = { .out = *out };
	yaml_event_t ev;

	if (!yaml_emitter_initialize(&sv.em))
		return err_set("libyaml: cannot make an emitter");
	yaml_emitter_set_output(&sv.em, save_write, &sv);
	yaml_emitter_set_unicode(&sv.em, 1);
	yaml_emitter_set_indent(&sv.em, 2);
	yaml_emitter_set_width(&sv.em, -1);
	save_event(&sv, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	save_event(&sv, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	save_mapping(&sv, sc_fields, s);
	save_event(&sv, &ev, yaml_document_end_event_initialize(&ev, 1));
	save_event(&sv, &ev, yaml_stream_end_event_initialize(&ev));
	if (!sv.failed && !yaml_emitter_flush(&sv.em))
		sv.failed = true;
	*out = sv.out;
	if (sv.failed)
		err_set("libyaml: cannot write the scenario: %s",
			sv.em.problem ? sv.em.problem : "unsupported value");
	yaml_emitter_delete(&sv.em);
	return sv.failed ? -1 : 0;
}

/* An absolute path for FILE as the scenario names it. */
static char *rebased(const struct scenario *s, const char *file)
{
	char *full = sc_resolve(s, file), *abs = abs_path(full);

	free(full);
	return abs;
}

/* The view that is written: S with its files as absolute paths. The
 * strings and the peers array are the view's; everything else is S's. */
static int rebase(const struct scenario *s, struct scenario *v)
{
	*v = *s;
	v->topology = xstrdup(s->topology_path);
	v->profile = rebased(s, s->profile);
	v->peers = s->peers_count ? xcalloc(s->peers_count, sizeof(*v->peers)) : NULL;
	for (unsigned i = 0; i < s->peers_count; i++) {
		v->peers[i] = s->peers[i];
		if (s->peers[i].profile)
			v->peers[i].profile = rebased(s, s->peers[i].profile);
	}
	for (unsigned i = 0; i < s->peers_count; i++)
		if (s->peers[i].profile && !v->peers[i].profile)
			return -1;
	return v->profile ? 0 : -1;
}

static void rebase_free(const struct scenario *s, struct scenario *v)
{
	free(v->topology);
	free(v->profile);
	for (unsigned i = 0; i < s->peers_count; i++)
		if (s->peers[i].profile)
			free(v->peers[i].profile);
	free(v->peers);
}

static void add_comment(struct strbuf *sb, const char *comment)
{
	while (comment && *comment) {
		size_t n = strcspn(comment, "\n");

		if (n)
			sb_addf(sb, "# %.*s\n", (int)n, comment);
		else
			sb_add(sb, "#\n", 2);
		comment += n;
		comment += *comment == '\n';
	}
}

int scenario_save(const struct scenario *s, const char *path, const char *comment)
{
	struct strbuf sb = { 0 };
	struct scenario v;
	int rc;

	add_comment(&sb, comment);
	if (!s->path) {
		rc = save_doc(s, &sb);
	} else {
		rc = rebase(s, &v);
		if (rc == 0)
			rc = save_doc(&v, &sb);
		rebase_free(s, &v);
	}
	if (rc == 0)
		rc = write_file(path, sb.buf, sb.len, 0644);
	sb_free(&sb);
	return rc < 0 ? err_wrap("saving %s", path) : 0;
}
