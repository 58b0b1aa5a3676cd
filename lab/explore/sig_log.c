/*
 * sig_log.c - a peer's charon.log around a violation: the exchanges under
 * way and the lines that mark trouble (sig.h), read beneath the run
 * directory like everything a guest wrote.
 */
#include "explore/sig-internal.h"
#include "base/err.h"
#include "base/file.h"
#include "base/util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MARKER_MAX 120 /* a marker's length, at most */

double sig_parse_wall(const char *s)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, n = 0;
	double sec;
	char sep;

	if (!s ||
	    sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%lf%n", &y, &mo, &d, &sep, &h, &mi, &sec, &n) < 7 ||
	    (sep != 'T' && sep != ' ') || !isfinite(sec) || sec < 0 || sec >= 61)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (double)timegm(&tm) + sec;
}

/* Words that say something went wrong, matched without case. */
static const char *const trouble[] = {
	"fail",        "unable",    "error",      "invalid",     "collision",
	"retransmit",  "not found", "giving up",  "unknown",     "no acceptable",
	"no matching", "can't",     "cannot",     "rejected",    "denied",
	"timeout",     "timed out", "exceeded",   "refus",       "lost",
	"duplicate",   "mismatch",  "unexpected", "no proposal", "unacceptable",
};

static bool troubled(const char *msg)
{
	for (size_t i = 0; i < ARRAY_LEN(trouble); i++)
		if (strcasestr(msg, trouble[i]))
			return true;
	return false;
}

/* The message of a log line: after "TIME NN[SUB] " and a "<ctx> ". */
static const char *message_of(const char *line)
{
	const char *p = strstr(line, "] ");

	if (!p)
		return NULL;
	p += 2;
	if (*p == '<') {
		const char *q = strstr(p, "> ");

		if (q)
			p = q + 2;
	}
	return p;
}

/* A run of digits, hex, dots and colons starting at P: an address (A), a
 * long hex string such as an SPI (H), or a number (N). */
static size_t number_token(const char *p, struct strbuf *sb)
{
	size_t n = 0;
	int dots = 0, colons = 0, hex = 0;

	while (isxdigit((unsigned char)p[n]) || p[n] == '.' || p[n] == ':' || p[n] == '/' ||
	       p[n] == '_') {
		dots += p[n] == '.';
		colons += p[n] == ':';
		hex += isalpha((unsigned char)p[n]) != 0;
		n++;
	}
	while (n && (p[n - 1] == '.' || p[n - 1] == ':'))
		n--; /* a sentence's full stop is not the number's */
	sb_addf(sb, "%s", dots >= 3 || colons >= 2 ? "A" : hex || n >= 8 ? "H" : "N");
	return n ? n : 1;
}

/* An IPv6 address starting with a letter (fe80::1). */
static bool address_at(const char *p)
{
	size_t n = 0, colons = 0;

	while (isxdigit((unsigned char)p[n]) || p[n] == ':')
		colons += p[n++] == ':';
	return colons >= 2;
}

/* A word at P: kept, but a name followed by [N] or {N} (an IKE_SA's or a
 * CHILD_SA's) becomes ike[N] or child{N}, and a long hex word H. */
static size_t word_token(const char *p, struct strbuf *sb)
{
	size_t n = 0, hexd = 0, digits = 0;

	while (isalnum((unsigned char)p[n]) || p[n] == '_' || p[n] == '-') {
		hexd += isxdigit((unsigned char)p[n]) != 0;
		digits += isdigit((unsigned char)p[n]) != 0;
		n++;
	}
	if ((p[n] == '[' || p[n] == '{') && isdigit((unsigned char)p[n + 1])) {
		size_t m = n + 1;

		while (isdigit((unsigned char)p[m]))
			m++;
		if (p[m] == (p[n] == '[' ? ']' : '}')) {
			sb_addf(sb, "%s", p[n] == '[' ? "ike[N]" : "child{N}");
			return m + 1;
		}
	}
	if (n >= 8 && hexd >= 8 && digits && isxdigit((unsigned char)p[7]))
		sb_addf(sb, "H"); /* an SPI, also with its _i or _o */
	else
		sb_add(sb, p, n);
	return n;
}

char *sig_marker(const char *line)
{
	const char *msg = message_of(line), *p;
	struct strbuf sb = { 0 };

	if (!msg || !troubled(msg))
		return NULL;
	for (p = msg; *p && sb.len < MARKER_MAX;) {
		if (isdigit((unsigned char)*p) || address_at(p)) {
			p += number_token(p, &sb);
		} else if (isalpha((unsigned char)*p) || *p == '_') {
			p += word_token(p, &sb);
		} else if (*p == '\'' || *p == '"') {
			const char *q = strchr(p + 1, *p);

			sb_addf(&sb, "'Q'");
			p = q ? q + 1 : p + strlen(p);
		} else if (isspace((unsigned char)*p)) {
			if (sb.len && sb.buf[sb.len - 1] != ' ')
				sb_add(&sb, " ", 1);
			p++;
		} else {
			sb_add(&sb, p,
			       (unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e ? 0 : 1);
			p++;
		}
	}
	while (sb.len && sb.buf[sb.len - 1] == ' ')
		sb.buf[--sb.len] = 0;
	if (sb.len > MARKER_MAX)
		sb.buf[sb.len = MARKER_MAX] = 0;
	return sb.buf ? sb.buf : xstrdup("");
}

/* Names of exchanges and SAs: upper case with '_' but no error. */
static const char *const not_errors[] = {
	"IKE_SA_INIT", "IKE_AUTH", "CREATE_CHILD_SA", "INFORMATIONAL", "IKE_SA", "CHILD_SA",
};

/* An upper-case word with '_' at P (a notify such as TEMPORARY_FAILURE,
 * or a task such as CHILD_REKEY) that is not an exchange's or an SA's
 * name: its length, else 0. */
static size_t notify_at(const char *p)
{
	size_t n = 0, unders = 0;

	while (isupper((unsigned char)p[n]) || p[n] == '_')
		unders += p[n++] == '_';
	if (n < 4 || !unders)
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(not_errors); i++)
		if (strlen(not_errors[i]) == n && !strncmp(p, not_errors[i], n))
			return 0;
	return n;
}

bool sig_marker_keyed(const char *marker)
{
	if (strcasestr(marker, "collision"))
		return true;
	for (const char *p = marker; *p; p++)
		if ((p == marker || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) &&
		    notify_at(p))
			return true;
	return false;
}

/* "generating IKE_AUTH request 1 [ ... ]" or "parsed ... request": the
 * exchange's name into NAME, an INFORMATIONAL without payload (a
 * liveness check) left out. */
static bool request_of(const char *msg, char name[32])
{
	const char *p = !strncmp(msg, "generating ", 11) ? msg + 11
			: !strncmp(msg, "parsed ", 7)    ? msg + 7
							 : NULL;
	size_t n = 0;

	if (!p)
		return false;
	while ((isupper((unsigned char)p[n]) || p[n] == '_') && n < 31)
		n++;
	if (!n || strncmp(p + n, " request ", 9))
		return false;
	memcpy(name, p, n);
	name[n] = 0;
	return !(strcmp(name, "INFORMATIONAL") == 0 && strstr(p + n, "[ ]"));
}

static void add_unique(char **set, unsigned *n, unsigned max, const char *s)
{
	for (unsigned i = 0; i < *n; i++)
		if (!strcmp(set[i], s))
			return;
	if (*n < max)
		set[(*n)++] = xstrdup(s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Seconds to take from a log time to get UTC: the quarter hours between
 * the log's first "established" line and the ledger's first ike-updown. */
static double zone_offset(const char *log, const struct sig_clock *clk)
{
	const char *p = log;

	while (clk->first_up > 0 && (p = strstr(p, " established between "))) {
		const char *bol = p;

		while (bol > log && bol[-1] != '\n')
			bol--;
		/* On its own line only: a search of the rest of the log for each
		 * of a hostile log's many "established" would never end. */
		if (memmem(bol, (size_t)(p - bol), "IKE_SA ", 7)) {
			double l = sig_parse_wall(bol);

			return l < 0 ? 0 : round((l - clk->first_up) / 900.0) * 900.0;
		}
		p++;
	}
	return 0;
}

char *sig_exchanges_take(struct sig_exchanges *ex)
{
	struct strbuf sb = { 0 };

	qsort(ex->name, ex->n, sizeof(char *), cmp_str);
	for (unsigned i = 0; i < ex->n; i++) {
		sb_addf(&sb, "%s%s", i ? "," : "", ex->name[i]);
		free(ex->name[i]);
	}
	ex->n = 0;
	return sb.buf ? sb.buf : xstrdup("-");
}

/* Every line of LOG in [from, to] (run time) into the two sets. */
static void scan(char *log, const struct sig_clock *clk, double from, double to,
		 struct sig_exchanges *ex, struct finding *f)
{
	double zone = zone_offset(log, clk);
	char *save = NULL, *line;

	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		double t = sig_parse_wall(line), rt = t - zone - clk->t0;
		const char *msg;
		char name[32], *m;

		if (t < 0 || rt < from || rt > to || !(msg = message_of(line)))
			continue;
		if (ex && rt >= to - SIG_EXCHANGE_WINDOW_S && request_of(msg, name)) {
			add_unique(ex->name, &ex->n, SIG_MAX_EXCHANGES, name);
			if (strcmp(name, "INFORMATIONAL") && (!ex->last[0] || rt >= ex->last_t)) {
				snprintf(ex->last, sizeof(ex->last), "%s", name);
				ex->last_t = rt;
			}
		}
		if (f->n_markers < SIG_MARKERS && (m = sig_marker(line))) {
			if (ex || sig_marker_keyed(m))
				add_unique(f->markers, &f->n_markers, SIG_MARKERS, m);
			free(m);
		}
	}
}

void sig_read_log(const char *run_dir, const char *peer, const struct sig_clock *clk, double from,
		  double to, struct sig_exchanges *ex, struct finding *f)
{
	char *log = NULL, *rel;

	rel = peer && name_valid(peer, 31) ? xasprintf("%s/charon.log", peer) : NULL;
	if (rel && clk->known && read_file_beneath(run_dir, rel, SIG_LOG_MAX, &log, NULL) == 0)
		scan(log, clk, from, to, ex, f);
	err_clear();
	if (f->n_markers)
		qsort(f->markers, f->n_markers, sizeof(char *), cmp_str);
	free(log);
	free(rel);
}
