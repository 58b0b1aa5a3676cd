/*
 * man.c - ikelab(1) in roff, made from the command table (see cmd.h), so
 * that the manual cannot drift from the commands: `make man` runs the
 * hidden role `ikelab manpage` into build/man/ikelab.1.
 *
 * What the table holds is rendered as it is: every command that is not
 * internal with its usage, summary and help, the help's option lines
 * ("  --name LAB        the lab's name...") as tagged paragraphs, and
 * every option with the commands that take it. What the table does not
 * hold -- NAME, DESCRIPTION, EXIT STATUS, ENVIRONMENT, FILES, SEE ALSO --
 * is the prose below. The page carries ikelab's version, never today's
 * date, so the same source makes the same page.
 */
#include "cmd/cmd.h"
#include "backend/lab.h"
#include "charon/build.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- the hand-written sections ------------------------------------------ */

static const char man_head[] =
	".SH NAME\n"
	"ikelab \\- a lab for IPsec race conditions on real strongSwan daemons\n"
	".SH SYNOPSIS\n"
	".B ikelab\n"
	".I COMMAND\n"
	"[\\fIoptions\\fR] [\\fIarguments\\fR]\n"
	".br\n"
	".B ikelab help\n"
	"[\\fICOMMAND\\fR]\n"
	".SH DESCRIPTION\n"
	"ikelab builds two-peer topologies out of Linux network namespaces, runs a\n"
	"real strongSwan\n"
	".B charon\n"
	"in each peer with trap policies, injects timing races (both peers\n"
	"initiating within microseconds, kernel acquires during a rekey or a\n"
	"reauthentication, IKE messages held on the wire) and records IKE_SA and\n"
	"CHILD_SA counts over time, so that duplicate SAs and lost traffic become\n"
	"numbers and plots.\n"
	"A scenario file (\\fB\\%ikelab\\-scenario\\fR(5)) turns a bug report into\n"
	"a reproduction that says whether the bug showed; its lab is a topology\n"
	"(\\fB\\%ikelab\\-topology\\fR(5)) and a profile per peer\n"
	"(\\fB\\%ikelab\\-profile\\fR(5)).\n"
	".PP\n"
	"Kernels that cannot hold ESP SAs get a user-mode Linux kernel per lab,\n"
	"jailed read-only over the host's root.\n"
	".PP\n"
	"An option a command does not take is an error that names the ones it\n"
	"does. Options may come anywhere before\n"
	".BR \\-\\- .\n"
	".B \\-\\-name\n"
	"defaults to\n"
	".BR lab .\n"
	".B \\-\\-trust\n"
	"is the user's consent to what the files ask: without it a scenario,\n"
	"profile or topology file may describe a race and nothing more (no\n"
	"program run, no file named outside its own folder, no charon but\n"
	"Debian's).\n"
	"Errors are one line that names the file, line and column, the peer, or\n"
	"the system call that failed.\n";

static const char man_tail[] =
	".SH EXIT STATUS\n"
	".TP\n"
	".B 0\n"
	"Success; for\n"
	".BR run ,\n"
	".B nightly\n"
	"and\n"
	".BR bisect ,\n"
	"every scenario did what it expects (for a reproduction: the bug showed).\n"
	".TP\n"
	".B 1\n"
	"An error, a usage error, or a scenario that did not do what it expects.\n"
	".TP\n"
	".B 2\n"
	"The lab itself failed (a charon died, a kernel did not boot).\n"
	"For\n"
	".BR exec :\n"
	"the command's own exit status.\n"
	".SH ENVIRONMENT\n"
	".TP\n"
	".B IKELAB_RUN\n"
	"Where labs live (default\n"
	".I /run/ikelab\n"
	"for root,\n"
	".I $XDG_RUNTIME_DIR/ikelab\n"
	"or\n"
	".I /tmp/ikelab\\-UID\n"
	"for others); created 0700 and refused unless private.\n"
	".TP\n"
	".B IKELAB_TRACE\n"
	"Print where time goes, also inside user-mode Linux.\n"
	".TP\n"
	".B IKELAB_KEEP_FAILED\n"
	"Keep a lab whose\n"
	".B up\n"
	"failed, for a look at its logs.\n"
	".TP\n"
	".B IKELAB_UML\n"
	"The user-mode Linux kernel to boot.\n"
	".TP\n"
	".B IKELAB_UML_UNJAILED\n"
	"Start user-mode Linux without its jail (with a warning) where user\n"
	"namespaces are not allowed; root inside can then write any host file.\n"
	".TP\n"
	".B " CHARON_SOURCE_ENV "\n"
	"strongSwan's history for\n"
	".B charon build\n"
	"and\n"
	".BR bisect .\n"
	".TP\n"
	".B XDG_CACHE_HOME\n"
	"Charon builds go to\n"
	".IR $XDG_CACHE_HOME/ikelab/charon ,\n"
	"by default\n"
	".IR ~/.cache/ikelab/charon .\n"
	".SH FILES\n"
	".TP\n"
	".I /run/ikelab/NAME\n"
	"A lab's run directory:\n"
	".I lab.json\n"
	"and per peer its rendered configuration and\n"
	".IR PEER/run/charon.log .\n"
	".TP\n"
	".I runs/\n"
	"Where run, nightly, sweep and bisect directories go unless\n"
	".B \\-\\-out\n"
	"says.\n"
	".TP\n"
	".I PREFIX/share/ikelab/\n"
	"The shipped\n"
	".IR scenarios/ ,\n"
	".IR topologies/ ,\n"
	".I peers/\n"
	"and\n"
	".IR schemas/ .\n"
	"A file named as in the source tree \\(em\n"
	".IR " LAB_DEFAULT_TOPOLOGY ",\n"
	"the default topology;\n"
	".IR " LAB_DEFAULT_PEERS ",\n"
	"the default profile \\(em is the working directory's when it has one, else\n"
	"the shipped one. A build tree's binary uses the tree it was built in.\n"
	".TP\n"
	".I PREFIX/libexec/ikelab/\n"
	"The traffic probe and the user-mode Linux shim ikelab starts.\n"
	".SH SEE ALSO\n"
	".BR ikelab\\-scenario (5),\n"
	".BR ikelab\\-topology (5),\n"
	".BR ikelab\\-profile (5),\n"
	".BR swanctl (8),\n"
	".BR strongswan.conf (5),\n"
	".BR ip\\-netns (8)\n";

/* ---- escaping ------------------------------------------------------------- */

/* One line of text (up to n bytes) as roff: backslashes escaped, a hyphen
 * that starts an option or belongs to shell syntax (after a space, a
 * bracket, a bar, '=', ':' or another hyphen) as \-, a leading dot or apostrophe made harmless. */
static void text(FILE *f, const char *s, size_t n)
{
	if (n && (s[0] == '.' || s[0] == '\''))
		fputs("\\&", f);
	for (size_t i = 0; i < n; i++) {
		char prev = i ? s[i - 1] : ' ';

		if (s[i] == '\\')
			fputs("\\e", f);
		else if (s[i] == '-' && strchr(" [(|=:-", prev))
			fputs("\\-", f);
		else
			fputc(s[i], f);
	}
}

static void line(FILE *f, const char *s, size_t n)
{
	text(f, s, n);
	fputc('\n', f);
}

/* ---- one command ---------------------------------------------------------- */

/* An option line of a help text: two spaces, then the tag; the text
 * follows after two spaces or more (or on the next lines). */
static bool option_line(const char *s, size_t n)
{
	return n > 2 && s[0] == ' ' && s[1] == ' ' && s[2] != ' ';
}

/* The end of a tag's word at i: a bracketed group whole ("[--rounds N]"),
 * an argument in capitals ("LAB", "PATH=VALUE", "I/N"), or the first word;
 * i itself when the word there is the text's. */
static size_t tag_word(const char *s, size_t n, size_t i, bool first)
{
	size_t j = i;
	int depth = 0;
	bool lower = false;

	while (j < n && (depth > 0 || s[j] != ' ')) {
		depth += s[j] == '[' ? 1 : s[j] == ']' ? -1 : 0;
		lower |= s[j] >= 'a' && s[j] <= 'z';
		j++;
	}
	return first || s[i] == '[' || !lower ? j : i;
}

/* Where the tag of an option line ends: at its first run of two spaces,
 * or where its words end ("record [--duration S] the recorder's..."). */
static size_t tag_end(const char *s, size_t n)
{
	const char *two = memmem(s + 2, n - 2, "  ", 2);
	size_t end = two ? (size_t)(two - s) : n;
	size_t i = 2, next;

	while (i < end && (next = tag_word(s, end, i, i == 2)) > i) {
		i = next;
		if (i < end && s[i] == ' ')
			i++;
	}
	while (i > 2 && s[i - 1] == ' ')
		i--;
	return i < end ? i : end;
}

static size_t skip_spaces(const char *s, size_t n, size_t i)
{
	while (i < n && s[i] == ' ')
		i++;
	return i;
}

/* One line of a help text. *in_list: an option line came since the last
 * paragraph of prose. */
static void help_line(FILE *f, const char *s, size_t n, bool *in_list)
{
	size_t start = skip_spaces(s, n, 0);

	if (start == n) {
		fputs(".PP\n", f);
		*in_list = false;
	} else if (option_line(s, n)) {
		size_t end = tag_end(s, n);
		size_t rest = skip_spaces(s, n, end);

		fputs(".TP\n\\fB", f);
		text(f, s + 2, end - 2);
		fputs("\\fR\n", f);
		if (rest < n)
			line(f, s + rest, n - rest);
		*in_list = true;
	} else {
		/* Prose after a list goes on in a paragraph of its own. */
		if (*in_list && start == 0) {
			fputs(".PP\n", f);
			*in_list = false;
		}
		line(f, s + start, n - start);
	}
}

static void help(FILE *f, const char *h)
{
	bool in_list = false;

	fputs(".PP\n", f);
	while (*h) {
		const char *nl = strchr(h, '\n');
		size_t n = nl ? (size_t)(nl - h) : strlen(h);

		help_line(f, h, n, &in_list);
		h += n + (nl != NULL);
	}
}

static void command(FILE *f, const struct command *c)
{
	fprintf(f, ".SS \"ikelab %s\"\n.B ikelab %s\n", c->name, c->name);
	line(f, c->usage, strlen(c->usage));
	fputs(".PP\n", f);
	line(f, c->summary, strlen(c->summary));
	if (c->help)
		help(f, c->help);
}

/* ---- the options ------------------------------------------------------------ */

/* Every option and the commands that take it. */
static void options(FILE *f, const struct command *table)
{
	fputs(".SH OPTIONS\n"
	      "Each command takes some of these; one name means one thing everywhere.\n"
	      "What each does for a command is under COMMANDS.\n"
	      ".TP\n.BR \\-h \", \" \\-\\-help\n"
	      "This overview, or with a command its usage and options.\n"
	      ".TP\n.B \\-\\-version\n"
	      "ikelab's version and the charon a lab would start.\n",
	      f);
	for (opt_t bit = 1; bit; bit <<= 1) {
		const char *name = cmd_opt_names(bit);
		const char *sep = "";

		if (!*name)
			continue;
		fputs(".TP\n\\fB", f);
		text(f, name, strlen(name));
		fputs("\\fR\nTaken by:", f);
		for (const struct command *c = table; c->name; c++)
			if (!(c->flags & CMD_INTERNAL) && c->opts & bit) {
				fprintf(f, "%s \\fB%s\\fR", sep, c->name);
				sep = ",";
			}
		fputs(".\n", f);
	}
}

void cmd_man(const struct command *table, FILE *f)
{
	fputs(".\\\" ikelab(1), made by 'ikelab manpage' from the command table in\n"
	      ".\\\" lab/cmd/main.c and lab/cmd/man.c: edit those, not this.\n",
	      f);
	fprintf(f, ".TH IKELAB 1 \"\" \"ikelab %s\" \"ikelab manual\"\n", IKELAB_VERSION);
	fputs(man_head, f);
	fputs(".SH COMMANDS\n", f);
	for (const struct command *c = table; c->name; c++)
		if (!(c->flags & CMD_INTERNAL))
			command(f, c);
	options(f, table);
	fputs(man_tail, f);
}
