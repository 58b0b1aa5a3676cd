/*
 * fuzz_scenario.c - scenario_load() on a file made of the input, in a
 * folder laid out like the repository (fuzz_file.h): the shipped
 * scenarios' ../topologies and ../peers paths resolve, so the corpus
 * starts from scenarios that load and the fuzzer explores the scenario
 * schema and its checks rather than stopping at a missing file.
 *
 * A scenario that loads is expanded (scenario_plan, sc_plan_json), its
 * per-peer profiles are copied, and it is saved and loaded again: the
 * saved file must load and give the same plan for the same seed.
 */
#include "config/profile.h"
#include "base/err.h"
#include "config/scenario.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *plan_text(const struct scenario *s, uint64_t seed)
{
	struct sc_plan p;
	char *text;

	scenario_plan(s, seed, &p);
	if (p.n > 2 * s->schedule_count)
		abort();
	for (unsigned i = 1; i < p.n; i++)
		if (p.steps[i - 1].at_us > p.steps[i].at_us)
			abort();
	text = sc_plan_json(s, &p);
	sc_plan_free(&p);
	return text;
}

static void exercise(const struct scenario *s)
{
	char saved[512], *a, *b;
	struct scenario *again;

	for (unsigned k = 0; k < 2; k++) {
		const struct topo_node *n = topo_peer(s->topo, k);
		struct profile *p = scenario_profile(s, n->name);

		if (!p)
			abort();
		profile_free(p);
	}
	if (scenario_profile(s, "no such peer"))
		abort();
	a = plan_text(s, *s->seed);
	snprintf(saved, sizeof(saved), "%s/scenarios/saved.yaml", fuzz_dir);
	if (scenario_save(s, saved, "saved by fuzz_scenario\n\nagain") < 0) {
		fprintf(stderr, "save failed: %s\n", err_msg());
		abort();
	}
	again = scenario_load(saved);
	if (!again) {
		fprintf(stderr, "reload failed: %s\n", err_msg());
		abort();
	}
	b = plan_text(again, *again->seed);
	if (strcmp(a, b)) {
		fprintf(stderr, "plans differ:\n%s\n---\n%s\n", a, b);
		abort();
	}
	free(a);
	free(b);
	scenario_free(again);
	unlink(saved);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario *s;
	const char *path;

	fuzz_setup();
	if (fuzz_path_unsafe(data, size))
		return -1;
	path = fuzz_write("scenarios", "in.yaml", data, size);
	s = scenario_load(path);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "%s\n", s ? "loaded" : err_msg());
	if (s)
		exercise(s);
	else if (!err_msg()[0])
		abort();
	scenario_free(s);
	err_clear();
	return 0;
}
