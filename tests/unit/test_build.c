/* charon built from a commit (charon/build.h) and what a version knows
 * (charon/known.h): --charon values, configure's arguments per version,
 * cache keys, .opt files; and the whole build -- checkout, autogen,
 * configure, make, install, cache hit, a patched tree, a commit that does
 * not build -- on a tiny fake project in a git work tree, so that it runs
 * in a second without strongSwan. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/spawn.h"
#include "base/util.h"
#include "charon/build.h"
#include "charon/known.h"
#include "charon/peer.h"

START_TEST(test_ref_parse)
{
	struct charon_ref r;

	ck_assert_int_eq(charon_ref_parse("6.0.3", &r), 0);
	ck_assert_int_eq(r.kind, CHARON_REF_VERSION);
	ck_assert_str_eq(r.rev, "6.0.3");
	charon_ref_free(&r);
	ck_assert_int_eq(charon_ref_parse("6.0.0rc1", &r), 0);
	ck_assert_int_eq(r.kind, CHARON_REF_VERSION);
	charon_ref_free(&r);
	ck_assert_int_eq(charon_ref_parse("5.9", &r), 0);
	ck_assert_int_eq(r.kind, CHARON_REF_VERSION);
	charon_ref_free(&r);
	ck_assert_int_eq(charon_ref_parse("git:3b902ea5", &r), 0);
	ck_assert_int_eq(r.kind, CHARON_REF_GIT);
	ck_assert_str_eq(r.rev, "3b902ea5");
	charon_ref_free(&r);
	ck_assert_int_eq(charon_ref_parse("git:master", &r), 0);
	ck_assert_str_eq(r.rev, "master");
	charon_ref_free(&r);
	ck_assert_int_eq(charon_ref_parse("/usr/lib/ipsec/charon", &r), 0);
	ck_assert_int_eq(r.kind, CHARON_REF_PATH);
	charon_ref_free(&r);
	/* A path with a slash is a path, even when it does not exist or
	 * looks like a version. */
	ck_assert_int_eq(charon_ref_parse("/nonexistent/charon", &r), 0);
	ck_assert_int_eq(r.kind, CHARON_REF_PATH);
	charon_ref_free(&r);
	ck_assert_int_eq(charon_ref_parse("./6.0.3", &r), 0);
	ck_assert_int_eq(r.kind, CHARON_REF_PATH);
	charon_ref_free(&r);
	/* Refused: no revision, an option in disguise, a range, nothing. */
	ck_assert_int_eq(charon_ref_parse("git:", &r), -1);
	ck_assert_int_eq(charon_ref_parse("git:--upload-pack=x", &r), -1);
	ck_assert_int_eq(charon_ref_parse("git:a..b", &r), -1);
	ck_assert_int_eq(charon_ref_parse("", &r), -1);
	ck_assert_int_eq(charon_ref_parse("6.0.x", &r), -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "neither a version"));
	ck_assert_int_eq(charon_ref_parse("v6.0.3", &r), -1);
}
END_TEST

static const char ac_598[] = "ARG_DISBL_SET([kdf], [disable KDF])\n"
			     "ARG_DISBL_SET([openssl], [...])\nARG_DISBL_SET([vici], [...])\n"
			     "ARG_DISBL_SET([charon], [...])\nARG_DISBL_SET([swanctl], [...])\n"
			     "ARG_DISBL_SET([ikev2], [...])\nARG_ENABL_SET([warnings], [...])\n";
static const char ac_595[] = "ARG_DISBL_SET([openssl], [...])\nARG_DISBL_SET([vici], [...])\n"
			     "ARG_DISBL_SET([charon], [...])\nARG_DISBL_SET([swanctl], [...])\n"
			     "ARG_DISBL_SET([ikev2], [...])\n";

static bool has_arg(const struct argv *a, const char *s)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i], s))
			return true;
	return false;
}

START_TEST(test_configure_args)
{
	struct argv a = { 0 }, b = { 0 };
	char *ka, *kb;

	charon_configure_args(ac_598, &a);
	charon_configure_args(ac_595, &b);
	/* Static and monolithic everywhere: relocatable binaries. */
	ck_assert (has_arg(&a, "--disable-shared") && has_arg(&a, "--enable-monolithic"))
		;
	ck_assert (has_arg(&a, "--disable-defaults") && has_arg(&b, "--enable-static"))
		;
	ck_assert (has_arg(&a, "--enable-kdf") && has_arg(&a, "--enable-openssl"))
		;
	ck_assert (has_arg(&a, "--enable-charon") && has_arg(&a, "--enable-swanctl"))
		;
	/* Only where the version has the option. */
	ck_assert (!has_arg(&b, "--enable-kdf") && has_arg(&b, "--enable-vici"))
		;
	ck_assert (has_arg(&a, "--disable-warnings") && !has_arg(&b, "--disable-warnings"))
		;
	ck_assert (!has_arg(&a, "--enable-pem"))
		;
	/* Each flag once, though two plugin lists name it. */
	ck_assert (has_arg(&a, "--enable-openssl"))
		;
	for (size_t i = 0, n = 0; i < a.n; i++, n = 0) {
		for (size_t j = 0; j < a.n; j++)
			n += !strcmp(a.v[i], a.v[j]);
		ck_assert_uint_eq(n, 1);
	}
	/* Keys: the commit, a hash of the arguments, a hash of a diff. */
	ka = charon_build_key("abc", a.v, NULL, 0);
	kb = charon_build_key("abc", b.v, NULL, 0);
	ck_assert_str_ne(ka, kb);
	ck_assert_int_eq(strncmp(ka, "abc-", 4), 0);
	ck_assert_uint_eq(strlen(ka), 4 + 16);
	free(kb);
	kb = charon_build_key("abc", a.v, NULL, 0);
	ck_assert_str_eq(ka, kb);
	free(kb);
	kb = charon_build_key("abc", a.v, "diff --git", 10);
	ck_assert_int_eq(strncmp(ka, kb, strlen(ka)), 0);
	ck_assert_uint_eq(strlen(kb), strlen(ka) + 17);
	free(kb);
	kb = charon_build_key("abd", a.v, NULL, 0);
	ck_assert_str_ne(ka, kb);
	free(ka);
	free(kb);
	argv_free(&a);
	argv_free(&b);
}
END_TEST

START_TEST(test_hash)
{
	/* FNV-1a 64 of "a" */
	ck_assert_uint_eq(charon_hash64("a", 1, CHARON_HASH_INIT), 0xaf63dc4c8601ec8cULL);
	ck_assert_uint_eq(charon_hash64("", 0, CHARON_HASH_INIT), CHARON_HASH_INIT);
}
END_TEST

static const char opt_text[] = "charon {}\n\tOptions for the charon IKE daemon.\n\n"
			       "charon.make_before_break = yes\n\tInitiate IKEv2 reauthentication "
			       "with a make-before-break "
			       "scheme.\n\n\tLonger text = with an equals sign.\n"
			       "charon.filelog.<name> { # }\n\tSection\n"
			       "charon.filelog.<name>.time_format\n\tstrftime format.\n"
			       "charon.filelog.<name>.path =\n"
			       "charon.retransmit_timeout = 4.0\n"
			       "# a comment\n";

START_TEST(test_opt_parse)
{
	struct strbuf sb = { 0 };
	struct charon_known k = { 0 };

	known_opt_parse(opt_text, &sb);
	ck_assert_str_eq(sb.buf, "charon\ncharon.make_before_break = yes\ncharon.filelog.<name>\n"
				 "charon.filelog.<name>.time_format\ncharon.filelog.<name>.path\n"
				 "charon.retransmit_timeout = 4.0\n");
	known_parse_list(sb.buf, &k);
	ck_assert_uint_eq(k.n, 6);
	ck_assert (known_has(&k, "charon.make_before_break"))
		;
	ck_assert (known_has(&k, "charon.filelog.<name>.time_format"))
		;
	ck_assert (!known_has(&k, "charon.filelog.<name>.time_add_ms"))
		;
	ck_assert_str_eq(known_default(&k, "charon.make_before_break"), "yes");
	ck_assert_str_eq(known_default(&k, "charon.retransmit_timeout"), "4.0");
	ck_assert_ptr_null(known_default(&k, "charon.filelog.<name>.path"));
	ck_assert_ptr_null(known_default(&k, "charon.nothing"));
	/* No plugin list: every plugin is there. */
	ck_assert (known_plugin(&k, "kdf"))
		;
	known_free(&k);
	/* Nothing known (Debian's charon): everything goes. */
	ck_assert (known_has(&k, "charon.anything") && known_plugin(&k, "anything"))
		;
	ck_assert (!known_any(&k))
		;
	sb_free(&sb);
}
END_TEST

/* ---- rendering against what a version knows ------------------------------------ */

/* P rendered for alice (192.0.2.1, 10.1.0.0/16) facing bob; *SWANCTL gets
 * swanctl.conf, the result is strongswan.conf. */
static char *render_profile(const struct profile *pr, const struct charon_known *k, char **swanctl)
{
	char dir[] = "/tmp/ikelab-test-render.XXXXXX", *path, *text = NULL;
	struct peer p = { .name = "alice",
			  .remote_name = "bob",
			  .dir = dir,
			  .profile = pr,
			  .psk = "secret",
			  .known = k };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(p.local_addr, sizeof(p.local_addr), "192.0.2.1");
	snprintf(p.remote_addr, sizeof(p.remote_addr), "192.0.2.2");
	p.local_subnets = (char *[]){ "10.1.0.0/16" };
	p.remote_subnets = (char *[]){ "10.2.0.0/16" };
	p.n_local_subnets = p.n_remote_subnets = 1;
	ck_assert_int_eq(peer_render(&p, "lab"), 0);
	path = xasprintf("%s/swanctl/swanctl.conf", dir);
	ck_assert_int_eq(read_file(path, swanctl, NULL), 0);
	free(path);
	path = xasprintf("%s/run/strongswan.conf", dir);
	ck_assert_int_eq(read_file(path, &text, NULL), 0);
	free(path);
	rm_rf(dir);
	return text;
}

static char *render(const struct charon_known *k, char **swanctl)
{
	bool mbb = true;
	char *plugins[] = { "random", "bogus", "vici" };
	struct profile_settings st = { .make_before_break = &mbb };
	struct profile_ike ike = { .rekey_time = "1h", .over_time = "10s" };
	struct profile pr = {
		.settings = &st, .ike = &ike, .plugins = plugins, .plugins_count = 3
	};

	return render_profile(&pr, k, swanctl);
}

/* Every connection and CHILD_SA of a profile, with its own selectors or
 * the peer's protected subnets, and the trap policies waited for. */
START_TEST(test_render_connections)
{
	struct profile *pr = profile_load("tests/unit/yaml/peer-conns.yaml");
	char *conf, *sw;

	ck_assert_msg(pr, "%s", err_msg());
	conf = render_profile(pr, NULL, &sw);
	ck_assert_msg(strstr(sw, "\toffice {\n") && strstr(sw, "\tbackup {\n"), "%s", sw);
	ck_assert_msg(strstr(sw, "\t\t\tlan {\n\t\t\t\tlocal_ts = 10.1.0.0/16,10.3.0.0/24\n"
				 "\t\t\t\tremote_ts = 10.2.0.0/16\n"
				 "\t\t\t\tesp_proposals = aes256gcm16\n"),
		      "%s", sw);
	ck_assert_msg(strstr(sw, "\t\t\t\treqid = 7\n"), "%s", sw);
	ck_assert_msg(strstr(sw, "local_ts = 10.1.0.0/16[udp/5060]\n"), "%s", sw);
	ck_assert_msg(strstr(sw, "\t\trekey_time = 20m\n"), "%s", sw);
	ck_assert_msg(strstr(sw, "local_ts = 2001:db8:1::/48,dynamic\n"), "%s", sw);
	free(conf);
	free(sw);
	profile_free(pr);
}
END_TEST

START_TEST(test_render_known)
{
	struct charon_known k = { 0 };
	char *conf, *sw;

	/* Nothing known (Debian's charon): everything as the profile says. */
	conf = render(NULL, &sw);
	ck_assert_ptr_nonnull(strstr(conf, "load = random bogus vici\n"));
	ck_assert_ptr_nonnull(strstr(conf, "\tmake_before_break = yes\n"));
	ck_assert (strstr(conf, "time_add_ms = yes") && strstr(conf, "time_precision = us"))
		;
	ck_assert (strstr(sw, "rekey_time = 1h") && strstr(sw, "over_time = 10s"))
		;
	free(conf);
	free(sw);
	/* A version that knows neither make_before_break nor over_time nor
	 * the plugin 'bogus', and time_precision only. */
	known_parse_list("charon.reuse_ikesa = yes\ncharon.filelog.<name>.time_precision\n"
			 "connections.<conn>.rekey_time = 4h\n",
			 &k);
	k.version = xstrdup("9.9.9");
	k.commit = xstrdup("0123456789abcdef0123456789abcdef01234567");
	k.plugins = xcalloc(3, sizeof(char *));
	k.plugins[k.n_plugins++] = xstrdup("random");
	k.plugins[k.n_plugins++] = xstrdup("vici");
	conf = render(&k, &sw);
	ck_assert_ptr_nonnull(strstr(conf, "load = random vici\n"));
	ck_assert_ptr_nonnull(strstr(conf, "# plugin bogus left out: strongSwan 9.9.9"));
	ck_assert_ptr_null(strstr(conf, "\tmake_before_break = yes"));
	ck_assert_ptr_nonnull(strstr(conf, "# charon.make_before_break left out"));
	ck_assert_ptr_nonnull(
		strstr(conf, "# reuse_ikesa: not set; this version's default is yes"));
	ck_assert (!strstr(conf, "time_add_ms") && strstr(conf, "time_precision = us"))
		;
	ck_assert (strstr(sw, "rekey_time = 1h") && !strstr(sw, "over_time"))
		;
	free(conf);
	free(sw);
	known_free(&k);
}
END_TEST

/* ---- a whole build of a fake project ----------------------------------------- */

static char tmp[64];

static void sh(const char *script)
{
	char *const argv[] = { "/bin/sh", "-ec", (char *)script, NULL };
	struct spawn_opts o = { .cwd = tmp };
	struct strbuf err = { 0 };

	if (spawn_run(argv, &o, 30000, NULL, &err) < 0)
		ck_abort_msg("%s: %s %s", script, err_msg(), err.buf ? err.buf : "");
	sb_free(&err);
}

/* A project shaped like strongSwan's, as far as the build cares: an
 * autogen.sh that makes configure, a configure that writes a Makefile
 * with charon_plugins, a make that leaves src/charon/charon and
 * src/swanctl/swanctl, and .opt files. Counters say how often autogen and
 * configure ran. */
static const char project[] =
	"git init -q src && cd src\n"
	"git config user.email t@t && git config user.name t\n"
	"printf 'ARG_DISBL_SET([kdf], [x])\\nARG_DISBL_SET([charon], [x])\\n' >configure.ac\n"
	"printf '#!/bin/sh\\necho run >>autogen.count\\ncp configure.in configure\\n"
	"chmod +x configure\\n' >autogen.sh\n"
	"printf '#!/bin/sh\\necho run >>configure.count\\necho \"$@\" >configure.args\\n"
	"touch config.status\\nprintf \"charon_plugins = random nonce kdf\\\\nall:\\\\n\\\\tsh "
	"%%s/mk.sh\\\\n\" \"$(dirname \"$0\")\" >Makefile\\n' >configure.in\n"
	"printf 'set -e\\nd=$(dirname \"$0\")\\nv=$(cat \"$d/VERSION\")\\n"
	"mkdir -p src/charon src/swanctl\\n"
	"printf \"#!/bin/sh\\\\necho Linux strongSwan %%s\\\\n\" \"$v\" >src/charon/charon\\n"
	"cp src/charon/charon src/swanctl/swanctl\\nchmod +x src/charon/charon "
	"src/swanctl/swanctl\\n"
	"test ! -e \"$d/BROKEN\" || { echo \"broken.c:1:1: error: it is broken\"; exit 1; }\\n' "
	">mk.sh\n"
	"echo 1.0.0 >VERSION\n"
	"mkdir -p conf/options conf/plugins src/swanctl\n"
	"printf 'charon.make_before_break = no\\n\\tMBB.\\n' >conf/options/charon.opt\n"
	"printf 'charon.plugins.vici.socket = unix:///x\\n' >conf/plugins/vici.opt\n"
	"printf 'connections.<conn>.unique = no\\n' >src/swanctl/swanctl.opt\n"
	"printf 'configure\\n*.count\\n' >.gitignore\n"
	"git add -A && git commit -qm one && git tag v1\n"
	"echo 1.0.1 >VERSION && git commit -qam two && git tag v2\n";

static void setup_project(void)
{
	char *cache;

	snprintf(tmp, sizeof(tmp), "/tmp/ikelab-test-build.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	cache = xasprintf("%s/cache", tmp);
	setenv("XDG_CACHE_HOME", cache, 1);
	free(cache);
	sh(project);
}

static int count(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file), *text = NULL;
	int n = 0;

	if (read_file(path, &text, NULL) == 0)
		for (char *c = text; *c; c++)
			n += *c == '\n';
	err_clear();
	free(text);
	free(path);
	return n;
}

static void build(const char *ref, struct charon_build *b, int expect)
{
	char *src = xasprintf("%s/src", tmp);
	struct charon_build_opts o = { .source = src, .quiet = true };
	int r = charon_build(ref, &o, b);

	if (r != expect)
		ck_abort_msg("charon_build %s: %d, not %d: %s", ref, r, expect, err_msg());
	free(src);
}

START_TEST(test_build_cache_patch_failure)
{
	struct charon_build b;
	char *work, *bdir, *v, *key1, *path;
	struct charon_known k;
	struct stat st;

	setup_project();
	work = xasprintf("%s/cache/ikelab/charon/work", tmp);
	bdir = xasprintf("%s/cache/ikelab/charon/build", tmp);
	/* Cold: everything runs; the entry has what a lab needs. A GIT_DIR
	 * inherited from a hook or `git rebase --exec` does not send the
	 * build's git elsewhere. */
	setenv("GIT_DIR", "/nonexistent-ikelab-test", 1);
	setenv("GIT_WORK_TREE", "/nonexistent-ikelab-test", 1);
	build("v1", &b, 0);
	ck_assert_ptr_null(getenv("GIT_DIR"));
	ck_assert (!b.cached && !b.patched)
		;
	ck_assert_str_eq(b.version, "1.0.0");
	ck_assert_uint_eq(strlen(b.commit), 40);
	ck_assert_int_eq(strncmp(b.key, b.commit, 40), 0);
	ck_assert_int_eq(access(b.charon, X_OK), 0);
	ck_assert_int_eq(access(b.swanctl, X_OK), 0);
	ck_assert_int_eq(count(work, "autogen.count"), 1);
	ck_assert_int_eq(count(bdir, "configure.count"), 1);
	path = xasprintf("%s/cache/ikelab/charon", tmp);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	free(path);
	/* What the version knows, through the binary's path. */
	ck_assert_int_eq(known_load(b.charon, &k), 1);
	ck_assert_str_eq(k.version, "1.0.0");
	ck_assert_str_eq(known_default(&k, "charon.make_before_break"), "no");
	ck_assert (known_has(&k, "connections.<conn>.unique"))
		;
	ck_assert (known_has(&k, "charon.plugins.vici.socket"))
		;
	ck_assert (known_plugin(&k, "kdf") && !known_plugin(&k, "gmp"))
		;
	known_free(&k);
	ck_assert_int_eq(known_load("/bin/sh", &k), 0);
	key1 = xstrdup(b.key);
	charon_build_free(&b);

	/* The same key: a cache hit, nothing runs. */
	build("v1", &b, 0);
	ck_assert (b.cached)
		;
	ck_assert_str_eq(b.key, key1);
	ck_assert_int_eq(count(bdir, "configure.count"), 1);
	charon_build_free(&b);

	/* The next commit: incremental, no autogen, no configure. */
	build("v2", &b, 0);
	ck_assert (!b.cached)
		;
	ck_assert_str_eq(b.version, "1.0.1");
	ck_assert_int_eq(count(work, "autogen.count"), 1);
	ck_assert_int_eq(count(bdir, "configure.count"), 1);
	charon_build_free(&b);

	/* The tree's local changes, HEAD being v2: a key of its own. */
	sh("cd src && echo 1.0.1-patched >VERSION");
	build("HEAD", &b, 0);
	ck_assert (b.patched && !b.cached)
		;
	ck_assert_str_eq(b.version, "1.0.1-patched");
	ck_assert_uint_eq(strlen(b.key), 40 + 17 + 17);
	path = xasprintf("%s/source.diff", b.dir);
	ck_assert (path_exists(path))
		;
	free(path);
	charon_build_free(&b);
	/* REF is the HEAD of a patched tree: the changes are built. Without
	 * them, v2 is the clean build again. */
	build("v2", &b, 0);
	ck_assert (b.cached &&b.patched)
		;
	charon_build_free(&b);
	sh("cd src && git checkout -q VERSION");
	build("v2", &b, 0);
	ck_assert (b.cached && !b.patched)
		;
	ck_assert_str_eq(b.version, "1.0.1");
	charon_build_free(&b);

	/* A commit that does not build: the step, its log, its error line. */
	sh("cd src && touch BROKEN && git add BROKEN && "
	   "git commit -qm broken && git tag v3");
	build("v3", &b, -1);
	ck_assert_str_eq(b.failed_step, "make");
	v = xstrdup(err_msg());
	ck_assert_msg(strstr(v, "step 'make'") && strstr(v, "/logs/make") &&
			      strstr(v, "error: it is broken"),
		      "%s", v);
	free(v);
	charon_build_free(&b);
	/* No such ref: not the commit's failure. */
	build("v9", &b, -1);
	ck_assert_ptr_null(b.failed_step);
	charon_build_free(&b);

	/* --charon with a version goes through the same cache; a path into
	 * an entry says what the entry holds. */
	setenv(CHARON_SOURCE_ENV, "/nonexistent", 1);
	path = xasprintf("%s/cache/ikelab/charon/builds/%s/libexec/ipsec/charon", tmp, key1);
	ck_assert_int_eq(charon_use(path, NULL, &b), 0);
	ck_assert_str_eq(b.version, "1.0.0");
	ck_assert_str_eq(b.charon, path);
	free(path);
	charon_build_free(&b);
	unsetenv(CHARON_SOURCE_ENV);
	free(key1);
	free(work);
	free(bdir);
	path = xstrdup(tmp);
	rm_rf(path);
	free(path);
}
END_TEST

START_TEST(test_cache_dir_refused)
{
	char dir[] = "/tmp/ikelab-test-cache.XXXXXX", *c, *sub;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("XDG_CACHE_HOME", dir, 1);
	c = charon_cache_dir();
	ck_assert_ptr_nonnull(c);
	free(c);
	/* A cache others may write into is not built into. */
	sub = xasprintf("%s/ikelab/charon", dir);
	chmod(sub, 0777);
	ck_assert_ptr_null(charon_cache_dir());
	ck_assert_ptr_nonnull(strstr(err_msg(), "is writable by"));
	free(sub);
	setenv("XDG_CACHE_HOME", "relative/dir", 1);
	unsetenv("HOME");
	ck_assert_ptr_null(charon_cache_dir());
	rm_rf(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("build");
	TCase *tc = tcase_create("build");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ref_parse);
	tcase_add_test(tc, test_configure_args);
	tcase_add_test(tc, test_hash);
	tcase_add_test(tc, test_opt_parse);
	tcase_add_test(tc, test_render_known);
	tcase_add_test(tc, test_render_connections);
	tcase_add_test(tc, test_build_cache_patch_failure);
	tcase_add_test(tc, test_cache_dir_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
