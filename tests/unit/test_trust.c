/*
 * test_trust.c - what a file may make the controller do without --trust
 * (config/trust.h): every refusal with its exact file:line:col, key and
 * flag; every allowed setting; --trust and --charon as consent; links
 * that leave a file's folder; and every shipped file loading without
 * consent. Run from the repository root; the fixtures are in
 * tests/unit/trust/.
 */
#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/util.h"
#include "config/profile.h"
#include "config/scenario.h"
#include "config/topology.h"
#include "config/trust.h"

#define FIX "tests/unit/trust/"
#define HINT "; pass --trust to allow it"

/* A fixture: a profile, or a scenario when its name starts with scen-. */
static bool loads(const char *file)
{
	char path[PATH_MAX];
	bool ok;

	snprintf(path, sizeof(path), FIX "%s", file);
	if (!strncmp(file, "scen-", 5)) {
		struct scenario *s = scenario_load(path);

		ok = s != NULL;
		scenario_free(s);
	} else {
		struct profile *p = profile_load(path);

		ok = p != NULL;
		profile_free(p);
	}
	return ok;
}

/* ---- refusals with their positions ---------------------------------------- */

struct refusal {
	const char *file;   /* under FIX */
	const char *msg;    /* err_msg() after "FIX FILE:" */
	bool loads_trusted; /* with --trust it loads (nothing else is wrong) */
};

static const struct refusal refusals[] = {
	{ "conf-start-scripts.yaml",
	  "6:5: strongswan_conf: charon.start-scripts runs programs as root" HINT, true },
	{ "conf-stop-scripts.yaml",
	  "3:12: strongswan_conf: charon.stop-scripts runs programs as root" HINT, true },
	{ "conf-include.yaml",
	  "4:3: strongswan_conf: include reads other files into the configuration" HINT, true },
	{ "conf-filelog.yaml",
	  "8:7: strongswan_conf: charon.filelog./tmp/evil writes a log file of its own (only "
	  "the levels of the lab's log, charon.filelog.ikelab, may be set)" HINT,
	  true },
	{ "conf-filelog-path.yaml",
	  "6:9: strongswan_conf: charon.filelog.ikelab.path writes a log file of its own (only "
	  "the levels of the lab's log, charon.filelog.ikelab, may be set)" HINT,
	  true },
	{ "conf-syslog.yaml",
	  "4:5: strongswan_conf: charon.syslog writes to the host's syslog (the lab logs into "
	  "its own file)" HINT,
	  true },
	{ "conf-save-keys.yaml",
	  "5:7: strongswan_conf: charon.plugins.save-keys writes the SAs' keys into files" HINT,
	  true },
	{ "conf-ext-auth.yaml",
	  "8:7: strongswan_conf: charon.plugins.ext-auth runs programs as root" HINT, true },
	{ "conf-load.yaml",
	  "4:5: strongswan_conf: charon.load chooses charon's plugins (the profile's plugins: "
	  "list does, checked)" HINT,
	  true },
	{ "conf-plugin-load.yaml",
	  "6:9: strongswan_conf: charon.plugins.kernel-netlink.load configures a plugin beyond "
	  "what races need" HINT,
	  true },
	{ "conf-dotted.yaml",
	  "3:3: strongswan_conf: charon.start-scripts.x: a dotted name is not strongswan.conf "
	  "syntax (write sections: charon { ... })" HINT,
	  true },
	{ "conf-reference.yaml",
	  "3:10: strongswan_conf: section references (name : other) copy in settings from "
	  "elsewhere" HINT,
	  true },
	{ "conf-value.yaml",
	  "4:5: strongswan_conf: charon.threads takes a whole number, not 'lots'" HINT, true },
	{ "conf-unclosed.yaml", "3:3: strongswan_conf: section charon is not closed" HINT, true },
	{ "conf-stray-brace.yaml", "3:3: strongswan_conf: '}' closes no section" HINT, true },
	{ "conf-unterminated.yaml", "4:15: strongswan_conf: a quoted string is not closed" HINT,
	  true },
	{ "conf-unknown.yaml",
	  "3:3: strongswan_conf: libstrongswan is not among the settings races need (README's "
	  "SECURITY section lists them)" HINT,
	  true },
	/* On one line, in quotes: the column counts the quote. */
	{ "conf-user.yaml",
	  "2:28: strongswan_conf: charon.user changes the user charon runs as" HINT, true },
	{ "plugin-updown.yaml", "4:5: plugins[1]: updown runs programs as root" HINT, true },
	{ "plugin-unknown.yaml",
	  "2:26: plugins[2]: farp is not among the plugins races need (README's SECURITY "
	  "section lists them)" HINT,
	  true },
	{ "charon-other.yaml",
	  "2:9: charon: /tmp/charon runs as root and is not Debian's charon "
	  "(/usr/lib/ipsec/charon); name it with --charon PATH, or pass --trust to allow it",
	  true },
	{ "proposals-newline.yaml",
	  "3:14: ike.proposals: the value holds a newline, which swanctl.conf reads as "
	  "structure (a setting of its own)" HINT,
	  true },
	{ "esp-brace.yaml",
	  "3:18: child.esp_proposals: the value holds '}', which swanctl.conf reads as "
	  "structure (a setting of its own)" HINT,
	  true },
	{ "scen-set-conf.yaml",
	  "10:11: peers[0].set.strongswan_conf: charon.start-scripts runs programs as root" HINT,
	  true },
	{ "scen-set-charon.yaml",
	  "8:15: peers[0].set.charon: /bin/sh runs as root and is not Debian's charon "
	  "(/usr/lib/ipsec/charon); name it with --charon PATH, or pass --trust to allow it",
	  true },
	{ "scen-set-plugins.yaml",
	  "8:79: peers[0].set.plugins[6]: updown runs programs as root" HINT, true },
	{ "scen-control.yaml", "3:10: profile: the file name holds a control character" HINT,
	  false },
};

START_TEST(test_refused)
{
	const struct refusal *r = &refusals[_i];
	char want[ERR_MSG_MAX];

	trust_consent(0);
	snprintf(want, sizeof(want), FIX "%s:%s", r->file, r->msg);
	ck_assert_msg(!loads(r->file), "%s loaded without --trust", r->file);
	ck_assert_str_eq(err_msg(), want);
	/* One line, naming the flag. */
	ck_assert_ptr_null(strchr(err_msg(), '\n'));
}
END_TEST

START_TEST(test_refused_trusted)
{
	const struct refusal *r = &refusals[_i];

	trust_consent(TRUST_FILES);
	ck_assert_msg(loads(r->file) == r->loads_trusted, "%s with --trust: %s", r->file,
		      err_msg());
	trust_consent(0);
}
END_TEST

/* ---- files outside the folder of the file that names them ------------------ */

struct outside {
	const char *file, *pos, *named, *target; /* target relative to the root */
	const char *shipped;
};

static const struct outside outsides[] = {
	{ "base-outside.yaml", "2:7: base: ", "../yaml/peer-bools.yaml",
	  "tests/unit/yaml/peer-bools.yaml", "peers" },
	{ "base-absolute.yaml", "2:7: base: ", "/etc/passwd", NULL, "peers" },
	{ "scen-profile-outside.yaml", "3:10: profile: ", "/etc/passwd", NULL, "peers" },
	{ "scen-peer-profile-outside.yaml", "7:14: peers[0].profile: ", "../yaml/peer-bools.yaml",
	  "tests/unit/yaml/peer-bools.yaml", "peers" },
	{ "scen-topology-outside.yaml", "2:11: topology: ", "../yaml/topo-ike-addr.yaml",
	  "tests/unit/yaml/topo-ike-addr.yaml", "topologies" },
};

START_TEST(test_outside)
{
	const struct outside *o = &outsides[_i];
	char *home = realpath(FIX, NULL), *ship = realpath(o->shipped, NULL);
	char *target = o->target ? realpath(o->target, NULL) : NULL;
	char want[ERR_MSG_MAX];

	trust_consent(0);
	snprintf(want, sizeof(want),
		 FIX "%s:%s%s%s%s lies outside %s (the folder of the file that names it) and %s "
		     "(the shipped %s)" HINT,
		 o->file, o->pos, o->named, target ? " -> " : "", target ? target : "", home, ship,
		 o->shipped);
	ck_assert (!loads(o->file))
		;
	ck_assert_str_eq(err_msg(), want);
	/* With --trust, what is there is loaded (/etc/passwd is no YAML). */
	trust_consent(TRUST_FILES);
	ck_assert (loads(o->file) == (o->target != NULL))
		;
	trust_consent(0);
	free(home);
	free(ship);
	free(target);
}
END_TEST

/* A link inside the folder is followed: out of it, refused; into the
 * shipped peers/, allowed. */
START_TEST(test_links)
{
	char dir[] = "/tmp/test_trust.XXXXXX", *p, *link, *out, *root = realpath(".", NULL);
	const char *text = "name: linked\nbase: link.yaml\n";
	struct profile *prof;

	trust_consent(0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	p = xasprintf("%s/p.yaml", dir);
	link = xasprintf("%s/link.yaml", dir);
	out = xasprintf("%s/tests/unit/yaml/peer-bools.yaml", root);
	ck_assert_int_eq(write_file(p, text, strlen(text), 0644), 0);
	ck_assert_int_eq(symlink(out, link), 0);
	ck_assert_ptr_null(profile_load(p));
	ck_assert_msg(strstr(err_msg(), ":2:7: base: link.yaml -> ") &&
			      strstr(err_msg(), "peer-bools.yaml lies outside ") &&
			      strstr(err_msg(), HINT),
		      "%s", err_msg());
	free(out);
	unlink(link);
	out = xasprintf("%s/peers/auto-route.yaml", root);
	ck_assert_int_eq(symlink(out, link), 0);
	prof = profile_load(p);
	ck_assert_msg(prof, "%s", err_msg());
	profile_free(prof);
	unlink(link);
	unlink(p);
	rmdir(dir);
	free(out);
	free(p);
	free(link);
	free(root);
}
END_TEST

/* ---- what a file may set ----------------------------------------------------- */

START_TEST(test_allowed_files)
{
	static const char *const ok[] = {
		"conf-allowed.yaml", "plugins-allowed.yaml", "base-shipped.yaml",
		"base-inside.yaml",  "scen-inside.yaml",
	};

	trust_consent(0);
	for (size_t i = 0; i < ARRAY_LEN(ok); i++)
		ck_assert_msg(loads(ok[i]), "%s: %s", ok[i], err_msg());
}
END_TEST

/* --charon names the binary on the command line: a file's is moot. */
START_TEST(test_charon_consent)
{
	trust_consent(TRUST_CHARON);
	ck_assert_msg(loads("charon-other.yaml"), "%s", err_msg());
	ck_assert_msg(loads("scen-set-charon.yaml"), "%s", err_msg());
	/* ... and nothing else. */
	ck_assert (!loads("conf-start-scripts.yaml"))
		;
	trust_consent(0);
	ck_assert (!loads("charon-other.yaml"))
		;
}
END_TEST

/* Each kind of value, one good and one bad. */
START_TEST(test_setting_values)
{
	static const struct {
		const char *key, *good, *bad;
	} v[] = {
		{ "charon.make_before_break", "Yes", "maybe" },
		{ "charon.threads", "16", "016" },
		{ "charon.send_delay", "0", "-1" },
		{ "charon.retransmit_timeout", "0.5", "1." },
		{ "charon.keep_alive", "20s", "20 s" },
		{ "charon.filelog.ikelab.ike", "-1", "5" },
	};

	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		ck_assert_ptr_null(trust_conf_setting(v[i].key, v[i].good));
		ck_assert_ptr_nonnull(trust_conf_setting(v[i].key, v[i].bad));
	}
	ck_assert_str_eq(trust_conf_setting("charon.start-scripts.x", "/bin/sh"),
			 "runs programs as root");
	/* Names compare exactly, as strongSwan's do. */
	ck_assert_ptr_nonnull(trust_conf_setting("charon.Threads", "4"));
	ck_assert_ptr_nonnull(trust_conf_setting("charon.filelog.other.ike", "4"));
}
END_TEST

START_TEST(test_conf_text)
{
	struct trust_refusal r;
	const char *bad = "charon {\n  threads = 4 # more\n}\nlibstrongswan { x = 1 }\n";

	ck_assert_int_eq(trust_conf_text("", &r), 0);
	ck_assert_int_eq(trust_conf_text("# nothing\n\n", &r), 0);
	ck_assert_int_eq(trust_conf_text("charon\n{\n threads = \"4\"\n}", &r), 0);
	ck_assert_int_eq(trust_conf_text("charon { threads = \\\n4 }", &r), -1);
	ck_assert_int_eq(trust_conf_text(bad, &r), -1);
	ck_assert_uint_eq(r.off, strlen("charon {\n  threads = 4 # more\n}\n"));
	/* "include =" is a setting of that name, refused as such. */
	ck_assert_int_eq(trust_conf_text("include = 1", &r), -1);
	ck_assert_str_eq(r.why, "include is not among the settings races need (README's "
				"SECURITY section lists them)");
	/* A value past what any allowed setting takes, however it is written. */
	{
		char text[400];

		snprintf(text, sizeof(text), "charon { threads = \"%0200d\" }", 4);
		ck_assert_int_eq(trust_conf_text(text, &r), -1);
		ck_assert_str_eq(r.why, "the value is longer than any allowed setting takes");
		ck_assert_uint_eq(r.off, strlen("charon { threads = "));
	}
	/* A quoted value with a line break is reported on one line. */
	ck_assert_int_eq(trust_conf_text("charon { threads = \"4\\n5\" }", &r), -1);
	ck_assert_str_eq(r.why, "charon.threads takes a whole number, not '4?5'");
}
END_TEST

START_TEST(test_plugins_and_values)
{
	for (const char *const *p = profile_default_plugins; *p; p++)
		ck_assert_ptr_null(trust_plugin(*p));
	ck_assert_str_eq(trust_plugin("ext-auth"), "runs programs as root");
	ck_assert_ptr_nonnull(trust_plugin("load-tester"));
	ck_assert_ptr_nonnull(trust_plugin("stroke"));
	ck_assert_ptr_null(trust_value("aes128gcm16-prfsha256-ecp256"));
	ck_assert_str_eq(trust_value("a\nb"), "a newline");
	ck_assert_str_eq(trust_value("a#b"), "'#'");
	ck_assert_str_eq(trust_value("a,b"), "','");
	ck_assert_str_eq(trust_value("a b"), "a space");
}
END_TEST

/* ---- every shipped file loads without --trust -------------------------------- */

static void each_yaml(const char *dir, int kind)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	ck_assert_msg(d, "%s", dir);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *path;
		void *obj;

		if (len < 5 || strcmp(e->d_name + len - 5, ".yaml"))
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		obj = kind == 0   ? (void *)profile_load(path)
		      : kind == 1 ? (void *)topology_load(path)
				  : (void *)scenario_load(path);
		ck_assert_msg(obj, "%s: %s", path, err_msg());
		if (kind == 0)
			profile_free(obj);
		else if (kind == 1)
			topology_free(obj);
		else
			scenario_free(obj);
		free(path);
		n++;
	}
	closedir(d);
	ck_assert_uint_gt(n, 0);
}

START_TEST(test_shipped)
{
	trust_consent(0);
	each_yaml("peers", 0);
	each_yaml("topologies", 1);
	each_yaml("scenarios", 2);
	each_yaml("tests/integration/scenarios", 2);
}
END_TEST

static Suite *trust_suite(void)
{
	Suite *s = suite_create("trust");
	TCase *tc = tcase_create("trust");

	tcase_add_loop_test(tc, test_refused, 0, ARRAY_LEN(refusals));
	tcase_add_loop_test(tc, test_refused_trusted, 0, ARRAY_LEN(refusals));
	tcase_add_loop_test(tc, test_outside, 0, ARRAY_LEN(outsides));
	tcase_add_test(tc, test_links);
	tcase_add_test(tc, test_allowed_files);
	tcase_add_test(tc, test_charon_consent);
	tcase_add_test(tc, test_setting_values);
	tcase_add_test(tc, test_conf_text);
	tcase_add_test(tc, test_plugins_and_values);
	tcase_add_test(tc, test_shipped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(trust_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
