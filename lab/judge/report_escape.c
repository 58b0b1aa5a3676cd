/*
 * report_escape.c - one escaper for XML and HTML, text and attribute
 * values alike, and paths as relative URLs; durations and times as the
 * pages show them (see report-internal.h).
 */
#include "judge/report-internal.h"
#include "base/util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Escaping */

/* One UTF-8 sequence at s (n bytes left): its length, or 0 when it is
 * malformed, overlong, a surrogate or beyond U+10FFFF. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, c = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, c = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* XML 1.0's Char production, less the C1 controls HTML refuses too. */
static bool char_allowed(uint32_t c)
{
	if (c < 0x20)
		return c == '\t' || c == '\n' || c == '\r';
	if (c >= 0x7f && c <= 0x9f)
		return false;
	return c != 0xfffe && c != 0xffff;
}

static void esc_char(struct strbuf *sb, const unsigned char *p, size_t len, uint32_t c, bool attr)
{
	switch (c) {
	case '&':
		sb_addf(sb, "&amp;");
		return;
	case '<':
		sb_addf(sb, "&lt;");
		return;
	case '>':
		sb_addf(sb, "&gt;");
		return;
	case '"':
		sb_addf(sb, "&quot;");
		return;
	case '\'':
		sb_addf(sb, "&#39;");
		return;
	case '\r':
		/* A bare CR would become LF when the file is parsed. */
		sb_addf(sb, "&#13;");
		return;
	case '\t':
	case '\n':
		/* Attribute values are normalised to spaces unless referenced. */
		if (attr) {
			sb_addf(sb, "&#%u;", (unsigned)c);
			return;
		}
		break;
	}
	sb_add(sb, p, len);
}

static void esc_n(struct strbuf *sb, const char *s, size_t n, bool attr)
{
	const unsigned char *p = (const unsigned char *)s;

	while (n > 0) {
		uint32_t c = 0;
		size_t len = utf8_decode(p, n, &c);

		if (len == 0 || !char_allowed(c)) {
			sb_add(sb, "\xef\xbf\xbd", 3);
			len = len ? len : 1;
		} else {
			esc_char(sb, p, len, c, attr);
		}
		p += len;
		n -= len;
	}
}

void report_esc_text(struct strbuf *sb, const char *s)
{
	if (s)
		esc_n(sb, s, strlen(s), false);
}

static void esc_attr(struct strbuf *sb, const char *s)
{
	if (s)
		esc_n(sb, s, strlen(s), true);
}

/* ` name="value"`, the value escaped. */
void report_add_attr(struct strbuf *sb, const char *name, const char *value)
{
	sb_addf(sb, " %s=\"", name);
	esc_attr(sb, value);
	sb_addf(sb, "\"");
}

void report_add_property(struct strbuf *sb, int indent, const char *name, const char *value)
{
	if (!value)
		return;
	sb_addf(sb, "%*s<property", indent, "");
	report_add_attr(sb, "name", name);
	report_add_attr(sb, "value", value);
	sb_addf(sb, "/>\n");
}

/* A path as a relative URL: percent-encoded, so no name in it can turn
 * into a scheme ("javascript:"), a query or a fragment. The result needs
 * no further escaping. */
void report_add_url(struct strbuf *sb, const char *path)
{
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		unsigned char c = *p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
			sb_add(sb, p, 1);
		else
			sb_addf(sb, "%%%02X", c);
	}
}

void report_add_href(struct strbuf *sb, const char *path)
{
	sb_addf(sb, " href=\"");
	report_add_url(sb, path);
	sb_addf(sb, "\"");
}

/* Durations and times */

/* "42.0 s", "5 min 03 s", "2 h 07 min". */
void report_add_duration(struct strbuf *sb, double s)
{
	long long t;

	if (!(s > 0))
		s = 0;
	if (s > 1e9)
		s = 1e9;
	t = (long long)s;
	if (s < 60)
		sb_addf(sb, "%.1f s", s);
	else if (s < 3600)
		sb_addf(sb, "%lld min %02lld s", t / 60, t % 60);
	else
		sb_addf(sb, "%lld h %02lld min", t / 3600, t % 3600 / 60);
}

/* "2026-11-26T19:35:00Z" reads better as "2026-11-26 19:35:00 UTC". */
void report_add_when(struct strbuf *sb, const char *iso)
{
	char *t;

	if (!iso || strlen(iso) != 20 || iso[10] != 'T' || iso[19] != 'Z') {
		report_esc_text(sb, iso ?: "unknown");
		return;
	}
	t = xasprintf("%.10s %.8s UTC", iso, iso + 11);
	report_esc_text(sb, t);
	free(t);
}
