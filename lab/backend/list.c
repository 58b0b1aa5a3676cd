#include "backend/list.h"
#include "backend/state.h"
#include "backend/uml/uml.h"
#include "backend/uml/umlproc.h"
#include "base/err.h"
#include "base/json.h"
#include "base/spawn.h"
#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STATUS_MS 5000 /* a UML lab's status crosses into its kernel */

/* What one lab's records say. */
struct seen {
	const char *name;
	char *dir;
	json_t *lab; /* lab.json, or NULL */
	json_t *uml; /* host/uml.json, or NULL for a host lab */
};

static void set_health(json_t *e, const char *health, const char *detail)
{
	json_object_set_new(e, "health", json_string(health));
	json_object_set_new(e, "detail", json_string(detail));
}

/* Seconds since the epoch the lab was created: lab.json's, else its run
 * directory's change time. */
static double created_unix(const struct seen *s)
{
	struct stat st;
	double ns;

	if (jget_num(s->lab, "created_unix_ns", &ns))
		return ns / 1e9;
	return stat(s->dir, &st) == 0 ? (double)st.st_ctime : 0;
}

/* `ikelab status --name NAME --json`, within STATUS_MS: the peers whose
 * charon is not alive into DOWN ("alice bob"), 0; -1 with err_msg(). */
static int charons_down(const char *name, struct strbuf *down)
{
	char *argv[] = { (char *)self_exe(), "status", "--name", (char *)name, "--json", NULL };
	struct spawn_opts o = { .io = { SPAWN_NULL, SPAWN_CAPTURE, SPAWN_CAPTURE } };
	struct strbuf out = { 0 }, err = { 0 };
	json_t *doc = NULL, *p;
	size_t i;
	int r = spawn_run(argv, &o, STATUS_MS, &out, &err);

	if (r == 0 && !(doc = json_loadb(out.buf ? out.buf : "", out.len, 0, NULL)))
		r = err_set("status --json printed no JSON");
	json_array_foreach (json_object_get(doc, "peers"), i, p)
		if (!json_is_true(json_object_get(json_object_get(p, "charon"), "alive")))
			sb_addf(down, "%s%s", down->len ? " " : "", jget_str_or(p, "name", "?"));
	json_decref(doc);
	sb_free(&out);
	sb_free(&err);
	return r;
}

/* A lab whose records say it is up: its charons decide. */
static void health_up(const struct seen *s, json_t *e)
{
	struct strbuf down = { 0 };
	char *detail;

	if (charons_down(s->name, &down) < 0) {
		set_health(e, "unknown", err_msg());
	} else if (down.len) {
		detail = xasprintf("charon down: %s", down.buf);
		set_health(e, "degraded", detail);
		free(detail);
	} else {
		set_health(e, "up", "every peer's charon lives");
	}
	sb_free(&down);
}

/* The controller lab.json names (a host lab's `up`) still runs: the same
 * process, by pid and start time. */
static bool controller_lives(const json_t *lab)
{
	struct proc_id id;

	return state_proc_from_json(json_object_get(lab, "controller"), &id) == 0 &&
	       proc_alive(&id);
}

static void health_of(const struct seen *s, json_t *e)
{
	const char *phase = jget_str_or(s->lab, "phase", jget_str_or(s->uml, "phase", "none"));
	struct umlproc_lab ul = { .name = s->name, .dir = s->dir, .doc = s->uml };

	if (s->uml && umlproc_gone(&ul))
		set_health(e, "broken",
			   "its user-mode Linux kernel is gone; ikelab down cleans up");
	else if (s->uml && !strcmp(jget_str_or(s->uml, "phase", ""), "pool"))
		set_health(e, "idle", "a nightly's lab slot: its kernel waits for the next run");
	else if (!strcmp(phase, "up"))
		health_up(s, e);
	else if (s->uml || controller_lives(s->lab)) /* a UML lab's kernel lives */
		set_health(e, "starting", "its up is still running");
	else
		set_health(e, "broken", "its controller is gone half-way; ikelab down cleans up");
	json_object_set_new(e, "phase", json_string(phase));
}

static json_t *entry_of(const char *name)
{
	struct seen s = { .name = name, .dir = state_dir(name) };
	struct lab_state st;
	json_t *e = json_object();
	double created;

	if (state_peek(&st, name) == 0)
		s.lab = json_incref(st.doc);
	state_close(&st);
	if (uml_is_lab(s.dir))
		s.uml = umlproc_json_load(s.dir);
	created = created_unix(&s);
	json_object_set_new(e, "name", json_string(name));
	json_object_set_new(e, "dir", json_string(s.dir));
	json_object_set_new(e, "backend",
			    json_string(s.uml ? "uml" : jget_str_or(s.lab, "backend", "host")));
	json_object_set_new(e, "created_unix", json_integer((json_int_t)created));
	json_object_set_new(
		e, "age_s",
		json_integer(created ? (json_int_t)(wall_ns() / 1000000000 - created) : 0));
	json_object_set_new(e, "peers", state_peer_names(s.lab));
	health_of(&s, e);
	json_decref(s.lab);
	json_decref(s.uml);
	free(s.dir);
	return e;
}

json_t *lab_list(void)
{
	char **names;
	json_t *list = json_array();

	/* No base, no labs: nothing is made for a look. */
	if (!path_exists(state_base_dir()))
		return list;
	if (state_base_ensure() < 0) {
		json_decref(list);
		return NULL;
	}
	names = state_lab_names();
	for (char **n = names; *n; n++)
		json_array_append_new(list, entry_of(*n));
	state_names_free(names);
	return list;
}
