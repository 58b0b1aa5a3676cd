/*
 * warm.h - first-use costs of a fresh user-mode Linux kernel, paid at boot.
 *
 * A kernel that has never installed an ESP SA builds its crypto on demand:
 * the first `rfc4106(gcm(aes))` SA makes the crypto manager instantiate
 * every template in the name, self-test each, seed the default random
 * number generator (drbg, jitterentropy, hmac(sha512)), and ask modprobe
 * for each name on the way -- a process spawn each, about 150 ms under
 * UML. The first SA took 2.2 s, with the xfrm lock held throughout, so
 * the first negotiation of every lab raced against its own kernel.
 *
 * At boot, before any charon runs, the agent therefore loads every module
 * an ESP SA or the lab's plumbing can need, turns kernel module requests
 * off, installs one throw-away SA per ESP transform charon can negotiate
 * (in a network namespace that vanishes afterwards), and then points the
 * kernel's modprobe at `ikelab`'s own module loader. That loader loads
 * what the kernel asks for, like modprobe, and writes one line per request
 * to RUNDIR/module-requests.log: a request after boot is a first-use cost
 * the warm-up missed, and the tests check that a lab's life has none.
 */
#ifndef IKELAB_WARM_H
#define IKELAB_WARM_H

#include <stdbool.h>

/* Where the kernel's module requests go after boot (a symlink to the
 * ikelab binary, inside UML's own /run) and the log they append to. */
#define WARM_MODPROBE "/run/ikelab-agent/modprobe"
#define WARM_LOG_LINK "/run/ikelab-agent/module-requests.log"
#define WARM_LOG_NAME "module-requests.log"

struct warm_stats {
	int modules; /* loaded (or already there) */
	int modules_failed;
	int transforms; /* ESP transforms installed once */
	int transforms_failed;
	double modules_ms, transforms_ms;
};

/* Inside UML, as PID 1, once /lib/modules points at the kernel's modules
 * and the lab directory is shared: the whole warm-up. `cold` skips it
 * (IKELAB_UML_COLD, for measuring what it saves) but still installs the
 * request logger. Failures of single modules or transforms are counted,
 * not fatal: a lab that never uses them must still boot. */
int warm_kernel(const char *labdir, bool cold, struct warm_stats *st);

/* Inside UML, what only some labs need, loaded by the lab that needs it
 * when it comes up (IPv6 ESP, a NAT, the IPv6 fault wire), so that no
 * boot pays for it and the kernel still never has to ask: the NULL-
 * terminated NAMES with their dependencies. -1 and err_msg() naming the
 * first that failed. */
int warm_load(const char *const *names);

/* The kernel's modprobe after boot: argv as the kernel passes it
 * ("modprobe -q -- NAME"). Loads NAME with libkmod and logs the request. */
int warm_modprobe_main(int argc, char **argv);

#endif
