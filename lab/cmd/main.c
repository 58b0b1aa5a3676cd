/*
 * main.c - the ikelab command line: the table of commands and the dispatch.
 *
 * Every command is one entry below (see cmd.h): its name, its handler, the
 * options it takes, a one-line usage, a summary and a longer help. The
 * parser (cmd.c) refuses an option the command does not take and names
 * the ones it does; `ikelab help` prints the entries, `ikelab help CMD` and
 * `ikelab CMD --help` one of them. Handlers live in labs.c (up, down,
 * status, exec), record.c (record, plot), runs.c (run, nightly, shrink),
 * host.c (doctor, bench, version), charon.c (charon build, bisect) and
 * schema.c (schema); the work
 * itself happens in the modules they call.
 *
 * The same binary has roles that are not commands, entries marked
 * CMD_INTERNAL, chosen before anything is parsed:
 *   - `uml-init` (argv[1]): PID 1 inside a lab's user-mode Linux kernel,
 *     the agent that runs the commands the host sends (backend/uml/agent.c);
 *   - WARM_MODPROBE (argv[0]): the kernel's module loader inside that
 *     kernel, a symlink to this binary (backend/uml/warm.h);
 *   - `manpage` (argv[1]): ikelab(1) in roff from this table, which
 *     `make man` writes to build/man/ikelab.1 (cmd/man.c).
 * Started by hand, the first two say what they are and exit non-zero. The other
 * processes of ikelab are not roles: the broker of a UML lab
 * (backend/uml/uml.c) and the keeper of each charon (charon/peer.c) are
 * forks that never exec, and nightly and shrink run `ikelab run` and
 * `ikelab down` as commands.
 */
#include "cmd/cmd.h"
#include "backend/lab.h"
#include "backend/state.h"
#include "backend/uml/agent.h"
#include "backend/uml/uml.h"
#include "backend/uml/warm.h"
#include "base/err.h"
#include "base/file.h"
#include "charon/build.h"
#include "config/trust.h"

#include <stdio.h>
#include <stdlib.h>

static int cmd_help(const struct cli *c);
static int man_main(int argc, char **argv);

#define KERNEL_OPT "[--kernel auto|host|uml]"
#define TRUST_HELP                                                                          \
	"  --trust           the files are your own: let them run programs, name other\n"   \
	"                    files and set anything (README's SECURITY section says what\n" \
	"                    a file may do without it)\n"
#define FULL_HELP                                                                     \
	"  --full-duration   record every run to its end, also once its verdict is\n" \
	"                    settled (as the scenario key full_duration: true)\n"
#define CHARON_OPT "[--charon PATH|VERSION|git:REV]"
#define CHARON_HELP                                                                     \
	"  --charon C        the charon of every peer: a binary, a build tree, an\n"    \
	"                    install prefix, or a version (6.0.3) or git:COMMIT that\n" \
	"                    is built first (see ikelab help charon)\n"

static const struct command commands[] = {
	{ "up", cmd_up, NULL,
	  OPT_NAME | OPT_TOPOLOGY | OPT_PEERS | OPT_KERNEL | OPT_CHARON | OPT_TRUST,
	  "[--name LAB] [--topology FILE] [--peers FILE [--peers FILE]] " KERNEL_OPT " " CHARON_OPT
	  " [--trust]",
	  "build a lab and start one charon per peer",
	  "Creates the lab's namespaces, links, addresses and routes, starts one charon\n"
	  "per peer, loads its connection and a fresh PSK over VICI, and returns once\n"
	  "the trap policies are in the kernel.\n"
	  "\n"
	  "  --name LAB        the lab's name (default 'lab'); it lives in /run/ikelab/LAB\n"
	  "  --topology FILE   nodes, links, addresses (default " LAB_DEFAULT_TOPOLOGY ")\n"
	  "  --peers FILE      how each charon runs (default " LAB_DEFAULT_PEERS ");\n"
	  "                    given twice, the first peer's and the second's\n"
	  "  --kernel K        host: this kernel; uml: a user-mode Linux kernel; auto\n"
	  "                    (default): the host's when it can hold ESP SAs\n" CHARON_HELP
		  TRUST_HELP,
	  0, OPT_PEERS },
	{ "status", cmd_status, NULL, OPT_NAME | OPT_JSON, "[--name LAB] [--json]",
	  "charon, IKE_SAs, CHILD_SAs and kernel state per peer",
	  "Per peer: charon's pid and whether it lives, its IKE_SAs and CHILD_SAs\n"
	  "(VICI list-sas), the kernel's SAs and policies in the peer's namespace.\n"
	  "--json prints the same as one JSON document.\n",
	  0, 0 },
	{ "exec", cmd_exec, NULL, OPT_NAME, "[--name LAB] PEER -- CMD [ARGS...]",
	  "run CMD in a peer's namespaces",
	  "Runs CMD in the peer's network and mount namespaces: swanctl finds the\n"
	  "peer's charon with no options. The exit status comes back unchanged; a\n"
	  "terminal is passed through.\n",
	  0, 0 },
	{ "down", cmd_down, NULL, OPT_NAME | OPT_ALL, "[--name LAB | --all]",
	  "stop charons, remove everything the lab made",
	  "Stops charon (TERM, then KILL), removes namespaces, links, mounts, the\n"
	  "user-mode Linux kernel and the run directory; also cleans up a lab whose\n"
	  "controller was killed half-way. --all: every lab there is.\n",
	  0, 0 },
	{ "record", cmd_record, NULL,
	  OPT_NAME | OPT_DURATION | OPT_RATE | OPT_TRAFFIC | OPT_GRACE | OPT_OUT,
	  "[--name LAB] [--duration S] [--rate HZ] [--traffic PPS] [--grace S] [--out DIR]",
	  "SAs, events, acquires and probe loss over time, into a run dir",
	  "Watches a running lab: every SA that comes and goes (VICI events), list-sas\n"
	  "sampled at HZ, kernel acquires and expires (XFRM netlink), and with --traffic\n"
	  "a probe in each peer. Exits 0, or 2 when the lab failed (a charon died).\n"
	  "\n"
	  "  --duration S      how long (default 60)\n"
	  "  --rate HZ         list-sas samples per second (default 10)\n"
	  "  --traffic PPS     probe packets per second, both ways (default none)\n"
	  "  --grace S         how long a duplicate SA must last to count (default 2)\n"
	  "  --out DIR         the run directory (default runs/LAB-DATE-TIME)\n",
	  0, 0 },
	{ "plot", cmd_plot, NULL, 0, "RUN_DIR", "timeline.svg and timeline.png of a recorded run",
	  NULL, 0, 0 },
	{ "run", cmd_run, NULL,
	  OPT_SEED | OPT_SEEDS | OPT_OUT | OPT_NAME | OPT_KERNEL | OPT_CHARON | OPT_TRUST |
		  OPT_FULL | OPT_SET,
	  "SCENARIO.yaml [--seed S] [--seeds N] [--out DIR] [--name LAB] " KERNEL_OPT " " CHARON_OPT
	  " [--trust] [--full-duration] [--set PATH=VALUE]...",
	  "reproduce a race: build, act on schedule, record, judge",
	  "Builds the scenario's lab, runs its schedule, records, and judges the\n"
	  "expectations. Exits 0 when the scenario did what it expects (for a\n"
	  "reproduction: the bug showed), 1 when not, 2 when the lab itself failed.\n"
	  "A run ends as soon as its verdict is settled: an expectation that can only\n"
	  "get worse (a duplicate past the grace, an acquire) was violated.\n"
	  "\n"
	  "  --seed S          the first seed (default: the scenario's)\n"
	  "  --seeds N         runs, with seeds S, S+1, ... (default 1)\n"
	  "  --out DIR         the run directory (default runs/SCENARIO-DATE-TIME)\n"
	  "  --name LAB        the lab's name (default run<pid>)\n"
	  "  --kernel K        as for up\n" CHARON_HELP TRUST_HELP FULL_HELP
	  "  --set PATH=VALUE  this value in place of the one the scenario has at PATH\n"
	  "                    (schedule[0].skew_us=400, duration=20s), checked as if\n"
	  "                    the file said it; may be given again\n",
	  0, OPT_SET },
	{ "shrink", cmd_shrink, NULL,
	  OPT_SEEDS | OPT_OUT | OPT_TRUST | OPT_REPRODUCES | OPT_BUDGET | OPT_CHARON |
		  OPT_SCENARIO | OPT_SIGNATURE,
	  "RUN_DIR [--seeds K] [--out FILE] [--reproduces] [--budget T] [--charon C] "
	  "[--scenario FILE] [--signature ID] [--trust]",
	  "the smallest scenario that still fails as one seed's run did",
	  "Searches for a smaller scenario that still fails the same way: fewer actions\n"
	  "and fault rules, shorter, less traffic. Exits 0 when it found one, 1 when the\n"
	  "run could not be shrunk. It shrinks the copy of the scenario the run directory\n"
	  "keeps (RUN_DIR/scenario.yaml): a run directory is someone else's as often as\n"
	  "not. An action that undoes an outage (link up, restart, CONT, netem clear,\n"
	  "install, a hold's release) goes only with the outage it ends.\n"
	  "\n"
	  "  --seeds K         seeds each candidate must fail with (default 2)\n"
	  "  --out FILE        where the result goes (default RUN_DIR/shrunk.yaml)\n"
	  "  --reproduces      write the result as a bug report's reproduction: expect:\n"
	  "                    reproduces, with only the expectations the run violated\n"
	  "  --budget T        try no candidate after T (600, 10m, 1h) and write the\n"
	  "                    smallest found by then\n"
	  "  --charon C        the charon the candidates run (the run's own, when it was\n"
	  "                    not the default)\n"
	  "  --scenario FILE   shrink FILE, the scenario the run came from as you keep\n"
	  "                    it, instead of the run directory's copy (its name must\n"
	  "                    be the run's)\n"
	  "  --signature ID    keep the finding of explore's group ID: a candidate is\n"
	  "                    accepted when its runs, each to its end, show it\n"
	  "                    (whatever else they show); the result keeps its\n"
	  "                    expectations\n"
	  "  --trust           shrink the file summary.json names, wherever it is, and let\n"
	  "                    it and its candidates do what run --trust allows\n",
	  0, 0 },
	{ "nightly", cmd_nightly, NULL,
	  OPT_SEEDS | OPT_JOBS | OPT_CHARON | OPT_BASELINE | OPT_OUT | OPT_TRUST | OPT_FULL |
		  OPT_SHARD | OPT_BUDGET | OPT_FRESH,
	  "[SCENARIO...] [--seeds N | --budget T] [--jobs J] [--charon C]... [--shard I/N] "
	  "[--baseline FILE] [--out DIR] [--trust] [--full-duration] [--fresh] | merge "
	  "SHARD_DIR... [--baseline FILE] [--out DIR]",
	  "every scenario, N seeds each, J labs at a time, and a report",
	  "Runs every scenario given (default: all of scenarios/) and writes junit.xml,\n"
	  "summary.json and index.html. Exits 0 when every scenario met its expectation\n"
	  "in every run.\n"
	  "\n"
	  "  --seeds N         runs per scenario (default 3)\n"
	  "  --budget T        instead: as many runs as fit in T (90m, 2h, 3600), one\n"
	  "                    seed at a time to the scenario with the fewest, one each\n"
	  "                    at least\n"
	  "  --jobs J          labs at a time (default: one per CPU); under user-mode\n"
	  "                    Linux each of the J boots one kernel that its runs reuse\n"
	  "                    one after the other, each checking that the last left\n"
	  "                    nothing in it\n" CHARON_HELP
	  "                    Given more than once, every scenario runs on every\n"
	  "                    version, side by side in the reports, which say 'fixed in\n"
	  "                    B' or 'regressed in B' where the bug shows on one version\n"
	  "                    and in no run on the next\n"
	  "  --shard I/N       only shard I of N (from 1): scenarios, each on one version\n"
	  "                    with all its seeds, dealt out alike on every machine; auto:\n"
	  "                    GitLab's CI_NODE_INDEX/CI_NODE_TOTAL; auto/N: a Kubernetes\n"
	  "                    Indexed Job's JOB_COMPLETION_INDEX (else CI_NODE_INDEX)\n"
	  "  --baseline FILE   an earlier summary.json, to report what changed\n"
	  "  --out DIR         the report's directory (default "
	  "runs/nightly-DATE-TIME)\n" TRUST_HELP FULL_HELP
	  "  --fresh           a kernel booted for every run, none reused\n"
	  "\n"
	  "nightly merge SHARD_DIR... writes the reports of the night the shards are\n"
	  "parts of, as one unsplit night would have, with a copy of their runs.\n",
	  0, OPT_CHARON },
	{ "explore", cmd_explore, NULL,
	  OPT_PROFILE | OPT_TOPOLOGY | OPT_BUDGET | OPT_TRIALS | OPT_CHARON | OPT_SEED | OPT_SEEDS |
		  OPT_JOBS | OPT_KNOWN | OPT_INVARIANTS | OPT_SHRINK | OPT_SHARD | OPT_OUT |
		  OPT_TRUST | OPT_FRESH,
	  "[--profile FILE]... [--topology FILE] [--budget T | --trials N] [--charon C]... "
	  "[--seed S] [--jobs J] [--known FILE] [--invariants LIST] [--seeds K] "
	  "[--shrink-budget T] [--shard I/N] [--out DIR] [--trust] [--fresh] | merge "
	  "SHARD_DIR... [--known FILE] [--out DIR] | sig RUN_DIR...",
	  "races nobody reported: generated schedules, findings shrunk",
	  "Trial i draws a whole scenario from seed S+i -- a profile per peer with\n"
	  "short lifetimes, traffic, 1-6 actions (initiates from one or both ends,\n"
	  "rekeys, reauths, terminates, expires, SA deletions, link flaps, netem, kills,\n"
	  "freezes, restarts, reloads, injects) and 0-3 fault rules on the router's\n"
	  "wire -- runs it once, and checks the invariants on it. Findings are grouped\n"
	  "by signature (invariant | phase | exchanges | charon log markers); every new\n"
	  "group is shrunk into OUT/shrunk/ID/ID.yaml (expect: reproduces), which is\n"
	  "then run on every --charon. Writes findings.json, index.html, junit.xml.\n"
	  "Exits 0 when no new group was found, 1 when one was.\n"
	  "\n"
	  "  --profile FILE    a profile the peers draw from (repeat; default\n"
	  "                    peers/auto-route.yaml)\n"
	  "  --topology FILE   default topologies/two-peer-router.yaml\n"
	  "  --budget T        trials while one fits in T (90m, 2h, 3600)\n"
	  "  --trials N        instead: N trials (default 10)\n"
	  "  --charon C        the charon explored; given again, a version each shrunk\n"
	  "                    scenario is also run on: the first later one where it\n"
	  "                    shows in no run is where it was fixed\n"
	  "  --seed S          the first trial's seed (default 1): a trial is its seed\n"
	  "  --jobs J          labs at a time (default: one per CPU)\n"
	  "  --known FILE      races not to call new: group ids or signatures, one a\n"
	  "                    line, or an earlier findings.json\n"
	  "  --invariants LIST which invariants to check: names, or +name/-name\n"
	  "                    against the default (dup-ike, dup-child, kernel-sas,\n"
	  "                    policies, crash, liveness, reqids, acquire-rekey,\n"
	  "                    rekey-loss, ledger; growth is off by default)\n"
	  "  --seeds K         shrink: further seeds a candidate must fail with\n"
	  "                    (default 2); each version runs a shrunk scenario K+1\n"
	  "                    times\n"
	  "  --shrink-budget T each new group's shrink (default: a quarter of\n"
	  "                    --budget within 2..30 min, else 10 min; 0: none); each\n"
	  "                    invariant's most frequent group first, and under\n"
	  "                    --budget none starts once shrinking has taken half\n"
	  "                    the budget\n"
	  "  --shard I/N       trials I-1, I-1+N, ... only (as nightly's --shard)\n"
	  "  --out DIR         default runs/explore-DATE-TIME\n" TRUST_HELP
	  "  --fresh           a kernel booted for every trial, none reused\n"
	  "\n"
	  "explore merge SHARD_DIR... writes the reports of the exploration the shards\n"
	  "are parts of, with a copy of each group's run and shrunk scenario; with\n"
	  "--known, what the list names is known (one directory: judged again).\n"
	  "\n"
	  "explore sig RUN_DIR... prints the findings of any run directory (a\n"
	  "scenario's seed-N, a trial) as explore groups them: \"ID  SIGNATURE\" each,\n"
	  "the line a --known list takes, and when and where it showed.\n",
	  0, OPT_CHARON | OPT_PROFILE },
	{ "sweep", cmd_sweep, NULL,
	  OPT_SET | OPT_SEEDS | OPT_JOBS | OPT_CHARON | OPT_OUT | OPT_TRUST | OPT_FULL,
	  "SCENARIO.yaml --set PATH=FROM..TO/STEP|V1,V2,... [--seeds N] [--jobs J] "
	  "[--charon C] [--out DIR] [--trust] [--full-duration]",
	  "a scenario over one parameter: how often its bug shows, per value",
	  "Runs the scenario with each value at PATH in turn (as run --set does), N\n"
	  "seeds each, J labs at a time, and writes per value the runs, the runs where\n"
	  "the bug showed, the rate and its 95 % Wilson interval: sweep.csv, sweep.json\n"
	  "and sweep.png, beside the nightly's reports of the same runs. The race\n"
	  "window, measured. Exits 0 when every value got runs that were not lab errors.\n"
	  "\n"
	  "  --set PATH=VALUES\n"
	  "                    FROM..TO/STEP of whole numbers with one unit\n"
	  "                    (0..1000/100, 5s..20s/5s), or a list (100,200,500); at\n"
	  "                    most 100 values\n"
	  "  --seeds N         runs per value (default 5)\n"
	  "  --jobs J          labs at a time (default: one per CPU)\n" CHARON_HELP
	  "  --out DIR         the sweep's directory (default runs/sweep-DATE-TIME)\n" TRUST_HELP
		  FULL_HELP,
	  0, 0 },
	{ "import", cmd_import, NULL, OPT_OUT,
	  "GATEWAY_CONF [STRONGSWAN_CONF] GATEWAY_CONF [STRONGSWAN_CONF] [--out DIR]",
	  "a report's configuration of two gateways as a lab's files",
	  "Reads each gateway's swanctl.conf or ipsec.conf (told apart by content),\n"
	  "each optionally followed by its strongswan.conf, and writes topology.yaml,\n"
	  "a profile per gateway and scenario.yaml: the gateways' addresses on one\n"
	  "link, their subnets behind them, their connections and CHILD_SAs. Every\n"
	  "setting the lab does not carry is listed at the top of the gateway's\n"
	  "profile with the FILE:LINE it came from. Nothing an import reads is\n"
	  "followed (include) or run; the files it writes load without --trust.\n"
	  "\n"
	  "  --out DIR         where the files go (default ./imported); files already\n"
	  "                    there are not overwritten\n",
	  0, 0 },
	{ "check", cmd_check, NULL, OPT_TRUST, "FILE... [--trust]",
	  "check topologies, profiles and scenarios without building anything",
	  "Loads each FILE with the loader 'up' and 'run' use -- a scenario with the\n"
	  "topology and profiles it names -- and prints \"FILE: a valid KIND\", or the\n"
	  "loader's message, FILE:LINE:COL first, on stderr. The kind is the one the\n"
	  "file's '# yaml-language-server: $schema=...' line names, else what its\n"
	  "top-level keys say (nodes and links: a topology; duration, schedule,\n"
	  "expectations...: a scenario; otherwise a profile). Nothing is created,\n"
	  "no kernel boots, no root is needed: for editors and pre-commit hooks.\n"
	  "Exit 0 when every file is valid, 1 when one is not.\n"
	  "\n" TRUST_HELP,
	  0, 0 },
	{ "ls", cmd_ls, NULL, OPT_JSON, "[--json]", "the labs on this host and how they are",
	  "One line per lab in the run directories' base (/run/ikelab for root):\n"
	  "its name, backend (host or uml), age, peers and health -- 'up' when every\n"
	  "peer's charon lives (asked as 'ikelab status' asks, inside a UML lab),\n"
	  "'degraded' (charon down: PEER), 'starting' while its 'up' runs, 'idle'\n"
	  "(a nightly's kernel between runs), 'broken' when what holds it is gone\n"
	  "(its controller killed half-way, its kernel ended: 'ikelab down --name\n"
	  "LAB' cleans that up), 'unknown' when its status did not come in 5 s.\n"
	  "\n"
	  "  --json            the same as a JSON array\n",
	  0, 0 },
	{ "completion", cmd_completion, NULL, 0, "bash | labs | peers LAB | files KIND",
	  "shell completion, generated from this table",
	  "'ikelab completion bash' prints the bash completion script (make install\n"
	  "puts it in share/bash-completion/completions): commands, their options,\n"
	  "option values, lab names, peer names and scenario files. The script asks\n"
	  "the binary for the names that change: 'labs' (one per line), 'peers'\n"
	  "(of the lab LAB), 'files KIND' (the shipped scenarios,\n"
	  "topologies or peers, as the commands accept them).\n",
	  0, 0 },
	{ "schema", cmd_schema, NULL, 0, "scenario|topology|profile",
	  "the JSON Schema of a file kind, for editors",
	  "Prints the JSON Schema (draft-07) of scenario, topology or profile files,\n"
	  "made from the loader's own table: the keys, their types, which are\n"
	  "required. An editor with a YAML language server checks and completes a\n"
	  "file with it (the shipped files name theirs on their first line); what\n"
	  "only the loader checks is listed in docs/schemas.md. The schemas/\n"
	  "directory holds this output (make schemas).\n",
	  0, 0 },
	{ "doctor", cmd_doctor, NULL, OPT_JSON, "[--json]",
	  "what this host can do, which backend auto picks",
	  "ESP SAs, netem, NFQUEUE, user namespaces, charon's version and plugins,\n"
	  "user-mode Linux, and the backend --kernel auto picks.\n",
	  0, 0 },
	{ "bench", cmd_bench, NULL, OPT_ROUNDS | OPT_DURATION | OPT_OUT | OPT_KERNEL,
	  "up|esp|record|first-sa [--rounds N] [--duration S] [--out DIR] " KERNEL_OPT,
	  "benchmarks (make bench)",
	  "Each against a baseline measured in the same run:\n"
	  "  up [--rounds N]       up to trap policies, against a shell script (default 5)\n"
	  "  esp                   probe packets per second through ESP, against cleartext\n"
	  "  record [--duration S] the recorder's CPU time, S seconds (default 60)\n"
	  "  first-sa [--rounds N] the first ESP SA of a fresh user-mode Linux kernel,\n"
	  "                        with the boot's warm-up and without (--out: the\n"
	  "                        directory the inner half writes to)\n",
	  0, 0 },
	{ "help", cmd_help, NULL, 0, "[COMMAND]", "this overview, or one command's usage", NULL, 0,
	  0 },
	{ "charon", cmd_charon, NULL, OPT_SOURCE, "build REF [--source GIT_REPO_OR_TREE]",
	  "build charon and swanctl of a strongSwan tag, branch or commit",
	  "Builds charon and swanctl of REF (a tag such as 6.0.3, a branch, a commit)\n"
	  "from strongSwan's history, or finds the build in the cache\n"
	  "(${XDG_CACHE_HOME:-~/.cache}/ikelab/charon). Progress goes to stderr; what was\n"
	  "built, one 'NAME VALUE' a line, to stdout. A version or git:COMMIT given to\n"
	  "--charon is built the same way.\n"
	  "\n"
	  "  --source S        a git repository, a work tree (its uncommitted changes are\n"
	  "                    built when REF is its HEAD) or a tar of a bare repository;\n"
	  "                    default $" CHARON_SOURCE_ENV " or ../shared/strongswan/\n"
	  "                    strongswan.git.tar beside the ikelab tree\n",
	  0, 0 },
	{ "bisect", cmd_bisect, NULL,
	  OPT_GOOD | OPT_BAD | OPT_FIXED | OPT_SEEDS | OPT_OUT | OPT_SOURCE | OPT_KERNEL |
		  OPT_TRUST,
	  "SCENARIO.yaml --good REF --bad REF [--fixed] [--seeds N] [--out DIR] [--source "
	  "S] " KERNEL_OPT " [--trust]",
	  "the strongSwan commit that introduced a race, or fixed it",
	  "Walks strongSwan's history between two commits with git bisect, building each\n"
	  "commit's charon (cached) and running the scenario on it. A commit is bad when\n"
	  "the bug shows in at least one of N runs, good only when it shows in none; a\n"
	  "commit that does not build is skipped. Both ends are checked first. The bug\n"
	  "shows when a reproduction reproduces, or a clean scenario fails. Prints the\n"
	  "first bad (or fixed) commit and the chance that a good verdict was luck;\n"
	  "bisect.json, report.txt and every run stay in the bisect directory. Run again\n"
	  "with the same arguments and --out, it goes on where it stopped.\n"
	  "\n"
	  "  --good REF        a tag, branch or commit where the bug does not show\n"
	  "  --bad REF         one where it shows\n"
	  "  --fixed           look for the fix: the bad end is the older one\n"
	  "  --seeds N         runs a commit (default 5)\n"
	  "  --out DIR         the bisect directory (default runs/bisect-DATE-TIME)\n"
	  "  --source S        the history, as for charon build\n"
	  "  --kernel K        as for up\n" TRUST_HELP,
	  0, 0 },
	{ "version", cmd_version, NULL, OPT_CHARON, CHARON_OPT,
	  "ikelab's version and the charon it would use (also --version)", NULL, 0, 0 },
	{ "uml-init", NULL, agent_main, 0, "LAB_DIR [DIR...]",
	  "PID 1 inside a lab's user-mode Linux kernel, started by that kernel as init",
	  "The agent: it mounts a throwaway root, shares the lab's directories with the\n"
	  "host, loads the modules the lab needs, then runs the ikelab commands the host\n"
	  "sends over the serial line (backend/uml/agent.c).\n",
	  CMD_INTERNAL, 0 },
	{ "uml-pool", NULL, uml_pool_main, 0, "POOL RW_DIR -- ARGS...",
	  "a run of the nightly in a user-mode Linux kernel that its lab slot reuses",
	  "Boots the kernel POOL, sharing RW_DIR, unless it runs already, then runs\n"
	  "ikelab ARGS inside it and leaves it running for the slot's next run; a lab\n"
	  "error takes it down. 'ikelab down --name POOL' stops it (cmd/runs.c).\n",
	  CMD_INTERNAL, 0 },
	{ WARM_MODPROBE, NULL, warm_modprobe_main, 0, "-q -- MODULE",
	  "the module loader of a lab's user-mode Linux kernel, run by that kernel",
	  "A symlink to ikelab that the kernel runs as its modprobe after boot: it loads\n"
	  "MODULE and logs the request, a first-use cost the warm-up missed\n"
	  "(backend/uml/warm.h).\n",
	  CMD_INTERNAL | CMD_BY_ARGV0, 0 },
	{ "manpage", NULL, man_main, 0, "", "ikelab(1) in roff from this table, for make man",
	  "Writes the manual page to stdout: every command that is not internal, with\n"
	  "its usage, summary and help, and every option (cmd/man.c).\n",
	  CMD_INTERNAL, 0 },
	{ 0 }
};

/* The role `manpage`: ikelab(1) on stdout. */
static int man_main(int argc, char **argv)
{
	if (argc != 2)
		return fprintf(stderr, "ikelab: usage: ikelab manpage\n"), 1;
	cmd_man(commands, stdout);
	return fflush(stdout) || ferror(stdout) ? 1 : 0;
}

static int cmd_help(const struct cli *c)
{
	const struct command *cmd;

	if (c->npos > 1)
		return usage_fail(c);
	if (!c->npos) {
		cmd_overview(commands, stdout);
		return 0;
	}
	cmd = cmd_find(commands, c->pos[0]);
	if (!cmd)
		return err_set("unknown command '%s' (see 'ikelab --help')", c->pos[0]), fail();
	cmd_usage(cmd, stdout);
	return 0;
}

/* The user's consent to what files ask (config/trust.h), before anything
 * is loaded: --trust for everything, --charon for the binary. */
static void consent(const struct cli *c)
{
	trust_consent((c->trust ? TRUST_FILES : 0) | (c->charon ? TRUST_CHARON : 0));
}

/* A role's name typed as a command. */
static int not_by_hand(const struct command *cmd)
{
	fprintf(stderr, "ikelab: %s is not a command: it is %s; it is not run by hand\n", cmd->name,
		cmd->summary);
	return 2;
}

/* Inside user-mode Linux: see host_user in backend/uml/agent.c. */
static void trust_host_user(void)
{
	const char *v = getenv("IKELAB_HOST_UID");
	char *end;
	unsigned long uid;

	if (!state_inside_uml() || !v || !*v)
		return;
	uid = strtoul(v, &end, 10);
	if (!*end)
		file_trust_uid((uid_t)uid);
}

int main(int argc, char **argv)
{
	const struct command *role = cmd_role(commands, argc, argv);
	struct cli c;
	int rc;

	if (role)
		return role->role(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	trust_host_user();
	if (cmd_parse(commands, argc, argv, &c) < 0)
		rc = cmd_parse_fail(&c);
	else if (c.help && c.cmd)
		cmd_usage(c.cmd, stdout), rc = 0;
	else if (c.help)
		cmd_overview(commands, stdout), rc = 0;
	else if (c.cmd->flags & CMD_INTERNAL)
		rc = not_by_hand(c.cmd);
	else if (state_name_check(c.name) < 0)
		rc = fail();
	else if ((c.cmd->opts & OPT_NAME) && state_base_ensure() < 0)
		rc = fail(); /* a lab's files are read only from a private base */
	else {
		consent(&c);
		rc = c.cmd->run(&c);
	}
	cli_free(&c);
	return rc;
}
