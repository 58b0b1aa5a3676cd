/* The tools around the labs: which kind a file is (ikelab check), the
 * health `ikelab ls` gives labs from their records alone, and the bash
 * completion script generated from the command table. */
#define SCRATCH_TAG "tools"
#include "scratch.h"

#include "backend/list.h"
#include "backend/state.h"
#include "base/json.h"
#include "base/spawn.h"
#include "config/kind.h"

#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- file kinds ------------------------------------------------------------- */

static enum file_kind kind_of_text(const char *text)
{
	enum file_kind k;

	CHECK(write_file(at("f.yaml"), text, strlen(text), 0600) == 0);
	CHECK(file_kind_guess(at("f.yaml"), &k) == 0);
	return k;
}

START_TEST(test_kind_schema_line)
{
	enum file_kind k;

	ck_assert_int_eq(file_kind_of_text("# yaml-language-server: "
					   "$schema=../schemas/topology.schema.json\n",
					   &k),
			 0);
	ck_assert_int_eq(k, KIND_TOPOLOGY);
	/* The line decides, whatever the keys say. */
	ck_assert_int_eq(kind_of_text("# yaml-language-server: $schema=x/profile.schema.json\n"
				      "nodes: []\nlinks: []\n"),
			 KIND_PROFILE);
	ck_assert_int_eq(file_kind_of_text("# $schema=other.json\nname: x\n", &k), -1);
	/* Only the comments that open the file. */
	ck_assert_int_eq(
		file_kind_of_text("name: x\n# $schema=../schemas/topology.schema.json\n", &k), -1);
	/* Only a comment names a schema. */
	ck_assert_int_eq(file_kind_of_text("description: $schema=scenario.schema.json\n", &k), -1);
}
END_TEST

START_TEST(test_kind_keys)
{
	ck_assert_int_eq(kind_of_text("name: t\nnodes:\n  - name: a\nlinks: []\n"), KIND_TOPOLOGY);
	ck_assert_int_eq(kind_of_text("name: s\nduration: 10s\n"), KIND_SCENARIO);
	ck_assert_int_eq(kind_of_text("name: s\nschedule:\n  - at: 1s\n"), KIND_SCENARIO);
	ck_assert_int_eq(kind_of_text("name: p\nike:\n  rekey_time: 10s\n"), KIND_PROFILE);
	/* A key indented under another is no top-level key. */
	ck_assert_int_eq(kind_of_text("name: p\nsettings:\n  duration: 1\n"), KIND_PROFILE);
	ck_assert_int_eq(kind_of_text(""), KIND_PROFILE);
}
END_TEST

START_TEST(test_kind_shipped)
{
	static const struct {
		const char *glob;
		enum file_kind kind;
	} dirs[] = { { "scenarios", KIND_SCENARIO },
		     { "topologies", KIND_TOPOLOGY },
		     { "peers", KIND_PROFILE } };
	enum file_kind k;

	for (unsigned i = 0; i < ARRAY_LEN(dirs); i++) {
		char *path = xasprintf("%s/%s", dirs[i].glob,
				       i == 0   ? "uniqueness-race.yaml"
				       : i == 1 ? "two-peer.yaml"
						: "auto-route.yaml");

		CHECK(file_kind_guess(path, &k) == 0);
		ck_assert_int_eq(k, dirs[i].kind);
		free(path);
	}
	ck_assert_int_eq(file_kind_guess(at("missing.yaml"), &k), -1);
	ck_assert_ptr_nonnull(strstr(err_msg(), "missing.yaml"));
}
END_TEST

/* ---- ls ----------------------------------------------------------------------- */

/* A lab NAME in the scratch base with lab.json DOC (taken; NULL: none). */
static void fake_lab(const char *name, json_t *doc)
{
	char *dir = xasprintf("%s/base/%s", scratch_dir, name);

	CHECK(mkdir_p(dir, 0700) == 0);
	if (doc) {
		char *path = xasprintf("%s/lab.json", dir);

		CHECK(json_write(path, doc) == 0);
		free(path);
		json_decref(doc);
	}
	free(dir);
}

/* A pid no process has: a child's, once reaped. */
static pid_t gone_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static const json_t *entry(const json_t *list, const char *name)
{
	const json_t *e;
	size_t i;

	json_array_foreach (list, i, e)
		if (!strcmp(jget_str_or(e, "name", ""), name))
			return e;
	ck_abort_msg("no entry for %s", name);
	return NULL;
}

START_TEST(test_ls_health_from_records)
{
	struct proc_id self;
	json_t *list;
	const json_t *e;

	setenv("IKELAB_RUN", at("base"), 1);
	CHECK(proc_id_of(getpid(), &self) == 0);
	fake_lab("building",
		 json_pack("{s:s, s:s, s:{s:i, s:I}, s:I, s:{s:{s:s}, s:{s:s}, s:{s:s}}}",
			   "backend", "host", "phase", "building", "controller", "pid",
			   (int)getpid(), "start", (json_int_t)self.start, "created_unix_ns",
			   (json_int_t)(wall_ns() - 90 * 1000000000LL), "nodes", "alice", "role",
			   "peer", "r", "role", "router", "bob", "role", "peer"));
	fake_lab("orphan", json_pack("{s:s, s:s, s:{s:i, s:i}}", "backend", "host", "phase",
				     "building", "controller", "pid", (int)gone_pid(), "start", 1));
	/* Our own pid with another start time: a reused pid, no controller. */
	fake_lab("reused", json_pack("{s:s, s:s, s:{s:i, s:I}}", "backend", "host", "phase",
				     "building", "controller", "pid", (int)getpid(), "start",
				     (json_int_t)self.start + 1));
	fake_lab("empty", NULL);
	list = lab_list();
	CHECK(list != NULL);
	ck_assert_int_eq(json_array_size(list), 4);
	/* Sorted by name. */
	ck_assert_str_eq(jget_str(json_array_get(list, 0), "name"), "building");
	e = entry(list, "building");
	ck_assert_str_eq(jget_str(e, "health"), "starting");
	ck_assert_str_eq(jget_str(e, "backend"), "host");
	ck_assert_int_eq(json_array_size(json_object_get(e, "peers")), 2);
	ck_assert_int_ge((int)jget_num_or(e, "age_s", 0), 89);
	ck_assert_str_eq(jget_str(entry(list, "orphan"), "health"), "broken");
	ck_assert_str_eq(jget_str(entry(list, "empty"), "health"), "broken");
	ck_assert_str_eq(jget_str(entry(list, "reused"), "health"), "broken");
	json_decref(list);
}
END_TEST

START_TEST(test_ls_no_base)
{
	json_t *list;

	setenv("IKELAB_RUN", at("none"), 1);
	list = lab_list();
	CHECK(list != NULL);
	ck_assert_int_eq(json_array_size(list), 0);
	json_decref(list);
	/* A look makes nothing. */
	ck_assert (!path_exists(at("none")))
		;
}
END_TEST

/* ---- the completion script ------------------------------------------------- */

/* `build/ikelab completion bash`: the script, from the real table. */
static char *completion_script(void)
{
	char *argv[] = { "build/ikelab", "completion", "bash", NULL };
	struct spawn_opts o = { .io = { SPAWN_NULL, SPAWN_CAPTURE, SPAWN_INHERIT } };
	struct strbuf out = { 0 };

	CHECK(spawn_run(argv, &o, 10000, &out, NULL) == 0);
	return out.buf;
}

START_TEST(test_completion_script)
{
	char *script = completion_script();
	char *argv[] = { "bash", "-n", at("ikelab.bash"), NULL };
	struct spawn_opts o = { .search_path = true };

	CHECK(write_file(at("ikelab.bash"), script, strlen(script), 0600) == 0);
	CHECK(spawn_run(argv, &o, 10000, NULL, NULL) == 0);
	/* Every command, its options, what its first argument is. */
	ck_assert_ptr_nonnull(
		strstr(script, "\trun) opts='--name --kernel --charon --seed --seeds"));
	ck_assert_ptr_nonnull(strstr(script, "kind=scenario"));
	ck_assert_ptr_nonnull(strstr(script, "\tbench) opts="));
	ck_assert_ptr_nonnull(strstr(script, "words='up esp record first-sa'"));
	ck_assert_ptr_nonnull(strstr(script, "\texec) opts='--name' words='' kind=peer first=1"));
	ck_assert_ptr_nonnull(strstr(script, "\tcharon) opts='--source' words='build' kind=none"));
	ck_assert_ptr_nonnull(strstr(script, "\t--kernel) _ikelab_words 'auto host uml'"));
	/* What follows a word: nightly merge takes shard directories. */
	ck_assert_ptr_nonnull(
		strstr(script, "words='merge' kind=scenario first=1 subs='merge:dir'"));
	ck_assert_ptr_nonnull(strstr(script, "subs='peers:lab files:none'"));
	/* Asked names never go through compgen -W (it expands $(...)). */
	ck_assert_ptr_null(strstr(script, "compgen -W \"$(\""));
	/* Internal roles are no commands. */
	ck_assert_ptr_null(strstr(script, "uml-init"));
	free(script);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tools");
	TCase *tc = tcase_create("tools");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, scratch, cleanup);
	tcase_add_test(tc, test_kind_schema_line);
	tcase_add_test(tc, test_kind_keys);
	tcase_add_test(tc, test_kind_shipped);
	tcase_add_test(tc, test_ls_health_from_records);
	tcase_add_test(tc, test_ls_no_base);
	tcase_add_test(tc, test_completion_script);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
