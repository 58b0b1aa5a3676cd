#include "charon/secret.h"
#include "base/err.h"
#include "base/util.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_LINE 16 /* bytes per line of charon's hex dumps (%B) */
#define PIECE_MIN 8  /* shorter pieces could match ordinary text */

/* `secret = VALUE` (any indentation, any spacing): the offset where VALUE
 * starts, or 0 when the line is not one. */
static size_t secret_value_at(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len - i < 6 || strncmp(line + i, "secret", 6))
		return 0;
	i += 6;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= len || line[i] != '=')
		return 0;
	i++;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i;
}

/* Every `secret = ` line with its value replaced. */
static void redact_lines(struct strbuf *out, const char *text, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		size_t v = secret_value_at(text + pos, n);

		if (v) {
			sb_add(out, text + pos, v);
			sb_add(out, SECRET_REDACTED, strlen(SECRET_REDACTED));
		} else {
			sb_add(out, text + pos, n);
		}
		if (nl)
			sb_add(out, "\n", 1);
		pos += n + (nl ? 1 : 0);
	}
}

/* Every occurrence of needle (n bytes, compared without case when
 * nocase) replaced with SECRET_REDACTED, in place of *sb. */
static bool match_at(const char *p, const char *needle, size_t n, bool nocase)
{
	return nocase ? !strncasecmp(p, needle, n) : !memcmp(p, needle, n);
}

static void replace_all(struct strbuf *sb, const char *needle, size_t n, bool nocase)
{
	struct strbuf out = { 0 };
	size_t pos = 0, from = 0;

	if (n == 0 || sb->len < n)
		return;
	while (pos + n <= sb->len) {
		if (!match_at(sb->buf + pos, needle, n, nocase)) {
			pos++;
			continue;
		}
		sb_add(&out, sb->buf + from, pos - from);
		sb_add(&out, SECRET_REDACTED, strlen(SECRET_REDACTED));
		pos += n;
		from = pos;
	}
	if (from == 0)
		return; /* nothing replaced */
	sb_add(&out, sb->buf + from, sb->len - from);
	sb_free(sb);
	*sb = out;
}

/* One line's worth of a hex dump of piece: "36 31 62 ...". */
static char *hex_form(const char *piece, size_t n)
{
	char *hex = xmalloc(n * 3 + 1);

	for (size_t i = 0; i < n; i++)
		snprintf(hex + 3 * i, 4, "%02X%s", (unsigned char)piece[i], i + 1 < n ? " " : "");
	return hex;
}

char *secret_redact(const char *text, size_t len, const char *psk, size_t *out_len)
{
	struct strbuf sb = { 0 };
	size_t plen = psk ? strlen(psk) : 0;

	redact_lines(&sb, text, len);
	if (!sb.buf)
		sb_add(&sb, "", 0);
	replace_all(&sb, psk, plen, false);
	for (size_t off = 0; off < plen; off += DUMP_LINE) {
		size_t n = plen - off < DUMP_LINE ? plen - off : DUMP_LINE;
		char *hex;

		if (n < PIECE_MIN)
			break;
		hex = hex_form(psk + off, n);
		replace_all(&sb, psk + off, n, false);
		replace_all(&sb, hex, strlen(hex), true);
		free(hex);
	}
	if (out_len)
		*out_len = sb.len;
	return sb.buf;
}

char *secret_lab_psk(const char *labdir)
{
	char *path = xasprintf("%s/psk", labdir), *psk = NULL;
	size_t len;

	if (read_file(path, &psk, &len) < 0) {
		err_clear();
		psk = NULL;
	} else {
		while (len > 0 && isspace((unsigned char)psk[len - 1]))
			psk[--len] = '\0';
	}
	free(path);
	return psk;
}
