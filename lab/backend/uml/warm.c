/*
 * warm.c - paying a fresh kernel's first-use costs at boot (see warm.h).
 */
#include "backend/uml/warm.h"
#include "base/err.h"
#include "base/util.h"
#include "kernel/xfrm.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <libkmod.h>
#include <netlink/netlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MODPROBE_SYSCTL "/proc/sys/kernel/modprobe"

/* What a lab's kernel loads at boot, so that the kernel never has to ask.
 * The lab's plumbing and AES-GCM's templates were always loaded up front;
 * IKELAB_UML_COLD still loads only those, as ikelab did before. */
static const char *const plumbing[] = {
	"xfrm_user",      "esp4",         "veth",       "sch_netem", "nfnetlink_queue", "ip_tables",
	"iptable_filter", "xt_multiport", "xt_NFQUEUE", "gcm",       "ghash_generic",   "ctr",
	"seqiv",          "echainiv",
};

/* What the kernel otherwise asked for on first use: bpfilter (the first
 * iptables rule in a router), ipv6 (charon's first IPv6 socket), the
 * random-number stack that seqiv and echainiv draw IVs from, and the
 * templates of every transform below (aes, sha1, sha256 and md5 are built
 * into Debian's UML kernel). */
static const char *const first_use[] = {
	"bpfilter",
	"ipv6",
	"jitterentropy_rng",
	"drbg",
	"hmac",
	"sha512_generic",
	"ccm",
	"chacha20poly1305",
	"chacha_generic",
	"poly1305_generic",
	"authenc",
	"authencesn",
	"cbc",
	"cmac",
	"xcbc",
	"des_generic",
};

/* ESP transforms as charon's kernel-netlink plugin names them to the
 * kernel: each proposal keyword of swanctl.conf maps onto one of these
 * (aes128gcm16 and aes256gcm12 share rfc4106(gcm(aes)), and so on). Key
 * sizes are the smallest each takes; the instance serves every size. */
static const struct esp_transform transforms[] = {
	{ .aead = "rfc4106(gcm(aes))", .key_bits = 160, .icv_bits = 128 },
	{ .aead = "rfc4309(ccm(aes))", .key_bits = 152, .icv_bits = 128 },
	{ .aead = "rfc7539esp(chacha20,poly1305)", .key_bits = 288, .icv_bits = 128 },
	{ .aead = "rfc4543(gcm(aes))", .key_bits = 160, .icv_bits = 128 },
	{ .enc = "cbc(aes)",
	  .key_bits = 128,
	  .auth = "hmac(sha256)",
	  .auth_bits = 256,
	  .icv_bits = 128 },
	{ .enc = "cbc(aes)",
	  .key_bits = 128,
	  .auth = "hmac(sha256)",
	  .auth_bits = 256,
	  .icv_bits = 128,
	  .esn = true },
	{ .enc = "cbc(aes)",
	  .key_bits = 128,
	  .auth = "hmac(sha1)",
	  .auth_bits = 160,
	  .icv_bits = 96 },
	{ .enc = "cbc(aes)",
	  .key_bits = 128,
	  .auth = "hmac(sha384)",
	  .auth_bits = 384,
	  .icv_bits = 192 },
	{ .enc = "cbc(aes)",
	  .key_bits = 128,
	  .auth = "hmac(sha512)",
	  .auth_bits = 512,
	  .icv_bits = 256 },
	{ .enc = "cbc(aes)",
	  .key_bits = 128,
	  .auth = "xcbc(aes)",
	  .auth_bits = 128,
	  .icv_bits = 96 },
	{ .enc = "cbc(aes)",
	  .key_bits = 128,
	  .auth = "cmac(aes)",
	  .auth_bits = 128,
	  .icv_bits = 96 },
	{ .enc = "rfc3686(ctr(aes))",
	  .key_bits = 160,
	  .auth = "hmac(sha256)",
	  .auth_bits = 256,
	  .icv_bits = 128 },
	{ .enc = "cbc(des3_ede)",
	  .key_bits = 192,
	  .auth = "hmac(sha1)",
	  .auth_bits = 160,
	  .icv_bits = 96 },
};

static double ms_since(int64_t t0)
{
	return (double)(mono_ns() - t0) / 1e6;
}

/* A module or transform that fails costs the lab nothing unless it uses
 * it; the kernel console (uml.log) says which. */
static void warn_failed(void)
{
	fprintf(stderr, "ikelab agent: warm-up: %s\n", err_msg());
	err_clear();
}

/* What the kernel asks for: "crypto-rfc4106(gcm(aes))", "net-pf-10". */
static bool request_name_ok(const char *s)
{
	size_t n = 0;

	for (; s && s[n] && n < 256; n++)
		if (s[n] <= ' ' || s[n] > '~' || s[n] == '/')
			return false;
	return n > 0 && n < 256;
}

/* One name, with whatever it depends on, as `modprobe NAME` would. */
static int load_module(struct kmod_ctx *ctx, const char *name)
{
	struct kmod_list *list = NULL, *it;
	int r = kmod_module_new_from_lookup(ctx, name, &list);

	if (r < 0 || !list)
		return err_set("module %s not found", name);
	kmod_list_foreach (it, list) {
		struct kmod_module *m = kmod_module_get_module(it);

		r = kmod_module_probe_insert_module(m, KMOD_PROBE_IGNORE_LOADED, NULL, NULL, NULL,
						    NULL);
		kmod_module_unref(m);
		if (r < 0)
			break;
	}
	kmod_module_unref_list(list);
	if (r < 0)
		return err_set("load module %s: %s", name, strerror(-r));
	return 0;
}

static void load_modules(struct kmod_ctx *ctx, const char *const *names, size_t n,
			 struct warm_stats *st)
{
	for (size_t i = 0; i < n; i++) {
		if (load_module(ctx, names[i]) == 0) {
			st->modules++;
			continue;
		}
		warn_failed();
		st->modules_failed++;
	}
}

static void load_all(bool cold, struct warm_stats *st)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);
	int64_t t0 = mono_ns();

	if (!ctx) {
		err_set("kmod_new failed: no modules loaded");
		warn_failed();
		st->modules_failed = 1;
		return;
	}
	load_modules(ctx, plumbing, ARRAY_LEN(plumbing), st);
	if (!cold)
		load_modules(ctx, first_use, ARRAY_LEN(first_use), st);
	kmod_unref(ctx);
	st->modules_ms = ms_since(t0);
}

int warm_load(const char *const *names)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);
	int r = 0;

	if (!ctx)
		return err_set("kmod_new failed");
	for (; r == 0 && *names; names++)
		r = load_module(ctx, *names);
	kmod_unref(ctx);
	return r;
}

static int set_modprobe(const char *path)
{
	int fd = open(MODPROBE_SYSCTL, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(path);
	ssize_t n;

	if (fd < 0)
		return err_sys("open %s", MODPROBE_SYSCTL);
	/* An empty path turns module requests off: the kernel answers them
	 * with ENOENT at once instead of spawning a helper. */
	n = write(fd, len ? path : "\n", len ? len : 1);
	close(fd);
	if (n < 0)
		return err_sys("write %s", MODPROBE_SYSCTL);
	return 0;
}

/* In a network namespace of its own that vanishes with its SAs when the
 * agent switches back: nothing of the warm-up reaches a lab. */
static int install_transforms(struct warm_stats *st)
{
	int orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int64_t t0 = mono_ns();
	struct nl_sock *s = NULL;
	int r = 0;

	if (orig < 0)
		return err_sys("open own network namespace");
	if (unshare(CLONE_NEWNET) < 0) {
		close(orig);
		return err_sys("unshare(CLONE_NEWNET)");
	}
	s = nl_socket_alloc();
	if (!s || nl_connect(s, NETLINK_XFRM) < 0)
		r = err_set("no xfrm netlink socket in a scratch namespace");
	for (size_t i = 0; r == 0 && i < ARRAY_LEN(transforms); i++) {
		if (xfrm_add_test_sa(s, &transforms[i], 0x100 + (uint32_t)i) == 0) {
			st->transforms++;
			continue;
		}
		warn_failed();
		st->transforms_failed++;
	}
	if (s)
		nl_socket_free(s);
	if (setns(orig, CLONE_NEWNET) < 0 && r == 0)
		r = err_sys("setns back to the agent's network namespace");
	close(orig);
	st->transforms_ms = ms_since(t0);
	return r;
}

/* The kernel's later requests come to us, and leave a line each. */
static int install_logger(const char *labdir)
{
	char *log = xasprintf("%s/%s", labdir, WARM_LOG_NAME);
	int fd, r = 0;

	if (mkdir_p("/run/ikelab-agent", 0700) < 0 ||
	    (fd = file_create(log, 0644, FILE_REPLACE)) < 0)
		r = -1;
	else
		close(fd);
	/* /run is the kernel's own tmpfs, /run/ikelab-agent 0700 and root
	 * the kernel's only user: nothing else can be at these names. */
	if (r == 0 &&
	    (file_symlink(log, WARM_LOG_LINK) < 0 || file_symlink(self_exe(), WARM_MODPROBE) < 0))
		r = err_wrap("/run/ikelab-agent");
	free(log);
	return r < 0 ? -1 : set_modprobe(WARM_MODPROBE);
}

int warm_kernel(const char *labdir, bool cold, struct warm_stats *st)
{
	memset(st, 0, sizeof(*st));
	load_all(cold, st);
	if (!cold && (set_modprobe("") < 0 || install_transforms(st) < 0))
		return -1;
	return install_logger(labdir);
}

/* ---- the kernel's modprobe ------------------------------------------------ */

static void log_request(const char *name, const char *result, double ms)
{
	struct timespec up;
	char line[512];
	int fd = open(WARM_LOG_LINK, O_WRONLY | O_APPEND | O_CLOEXEC);
	int n;

	if (fd < 0)
		return;
	clock_gettime(CLOCK_BOOTTIME, &up);
	n = snprintf(line, sizeof(line), "%.3f %s %s %.0f ms\n",
		     (double)up.tv_sec + (double)up.tv_nsec / 1e9, name, result, ms);
	if (n > 0 && write(fd, line, (size_t)n) < 0)
		n = 0;
	close(fd);
}

int warm_modprobe_main(int argc, char **argv)
{
	const char *name = argc > 0 ? argv[argc - 1] : NULL;
	struct kmod_ctx *ctx;
	int64_t t0 = mono_ns();
	int r;

	/* The kernel runs "modprobe -q -- NAME"; nothing else calls this. */
	if (argc != 4 || strcmp(argv[1], "-q") || strcmp(argv[2], "--") || !request_name_ok(name)) {
		fprintf(stderr,
			"ikelab: %s is the kernel's module loader inside a lab's "
			"user-mode Linux; it is not run by hand\n",
			WARM_MODPROBE);
		return 2;
	}
	ctx = kmod_new(NULL, NULL);
	r = ctx ? load_module(ctx, name) : err_set("kmod_new failed");
	if (ctx)
		kmod_unref(ctx);
	log_request(name, r == 0 ? "loaded" : "not-found", ms_since(t0));
	return r == 0 ? 0 : 1;
}
