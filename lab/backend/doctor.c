#include "backend/doctor.h"
#include "base/err.h"
#include "kernel/net.h"
#include "kernel/netns.h"
#include "charon/peer.h"
#include "config/profile.h"
#include "backend/uml/uml.h"
#include "base/util.h"
#include "kernel/xfrm.h"

#include <fcntl.h>
#include <jansson.h>
#include <netlink/netlink.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/link.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netfilter/queue.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static bool host_esp(char *why, size_t len)
{
	if (geteuid() != 0) {
		snprintf(why, len,
			 "not root: the host backend needs CAP_NET_ADMIN and CAP_SYS_ADMIN");
		return false;
	}
	if (xfrm_probe_esp(why, len) != 1) {
		if (!why[0])
			snprintf(why, len, "%s", err_msg());
		return false;
	}
	return true;
}

const char *doctor_pick_backend(void)
{
	char why[256] = "";

	if (host_esp(why, sizeof(why)))
		return "host";
	if (uml_kernel())
		return "uml";
	return NULL;
}

/* Each probe runs in a child in fresh namespaces: nothing it creates
 * outlives it and the host's own namespace is never touched. */
static bool in_scratch(int (*fn)(char *, size_t), char *why, size_t len)
{
	int pfd[2], status;
	pid_t pid;
	ssize_t n;

	if (pipe(pfd) < 0)
		return false;
	pid = fork(); /* spawn.h: no exec, a probe of user namespaces */
	if (pid == 0) {
		int ok;

		close(pfd[0]);
		if (unshare(CLONE_NEWNET) < 0) {
			dprintf(pfd[1], "unshare(CLONE_NEWNET): permission denied or unsupported");
			_exit(1);
		}
		ok = fn(why, len);
		if (write(pfd[1], why, strlen(why)) < 0)
			_exit(1);
		_exit(ok ? 0 : 1);
	}
	close(pfd[1]);
	n = read(pfd[0], why, len - 1);
	why[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int probe_netem(char *why, size_t len)
{
	struct nl_sock *s = nl_socket_alloc();
	struct rtnl_qdisc *q;
	int r;

	if (!s || nl_connect(s, NETLINK_ROUTE) < 0) {
		snprintf(why, len, "no rtnetlink");
		return 0;
	}
	q = rtnl_qdisc_alloc();
	rtnl_tc_set_ifindex(TC_CAST(q), 1);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	r = rtnl_tc_set_kind(TC_CAST(q), "netem");
	if (r == 0)
		r = rtnl_qdisc_add(s, q, NLM_F_CREATE);
	snprintf(why, len, "%s", r < 0 ? nl_geterror(r) : "netem qdisc added on lo");
	rtnl_qdisc_put(q);
	nl_socket_free(s);
	return r == 0;
}

static int probe_nfqueue(char *why, size_t len)
{
	struct nl_sock *s = nl_socket_alloc();
	struct nfnl_queue *q;
	int r;

	if (!s || nfnl_connect(s) < 0) {
		snprintf(why, len, "no nfnetlink");
		return 0;
	}
	q = nfnl_queue_alloc();
	nfnl_queue_set_group(q, 4711);
	nfnl_queue_set_copy_mode(q, NFNL_QUEUE_COPY_PACKET);
	r = nfnl_queue_create(s, q);
	snprintf(why, len, "%s", r < 0 ? nl_geterror(r) : "queue bound");
	nfnl_queue_put(q);
	nl_socket_free(s);
	return r == 0;
}

static int probe_userns(char *why, size_t len)
{
	bool ok = unshare(CLONE_NEWUSER) == 0;

	snprintf(why, len, "%s",
		 ok ? "unshare(CLONE_NEWUSER) works" : "unshare(CLONE_NEWUSER) refused");
	return ok;
}

static void add(json_t *doc, const char *key, bool ok, const char *detail, bool as_json)
{
	json_object_set_new(doc, key, json_pack("{s:b, s:s}", "ok", ok, "detail", detail));
	if (!as_json)
		printf("  %-22s %-4s %s\n", key, ok ? "yes" : "no", detail);
}

static void check_plugins(json_t *doc, bool as_json)
{
	struct strbuf missing = { 0 };

	for (const char *const *p = profile_default_plugins; *p; p++) {
		char *path = xasprintf("/usr/lib/ipsec/plugins/libstrongswan-%s.so", *p);

		if (!path_exists(path))
			sb_addf(&missing, " %s", *p);
		free(path);
	}
	add(doc, "charon_plugins", !missing.len,
	    missing.len ? missing.buf
			: "random nonce kdf openssl pem pkcs1 x509 kernel-netlink "
			  "socket-default vici all present",
	    as_json);
	sb_free(&missing);
}

int doctor_run(bool as_json)
{
	json_t *doc = json_object();
	char why[512] = "";
	char *ver, *rel;
	const char *kernel, *pick;
	bool esp;

	if (!as_json)
		printf("ikelab doctor: what this host can do\n");
	esp = host_esp(why, sizeof(why));
	add(doc, "host_esp_sa", esp, why, as_json);
	if (geteuid() == 0) {
		bool ok = in_scratch(probe_netem, why, sizeof(why));

		add(doc, "host_netem", ok, why, as_json);
		ok = in_scratch(probe_nfqueue, why, sizeof(why));
		add(doc, "host_nfqueue", ok, why, as_json);
	}
	add(doc, "user_namespaces", in_scratch(probe_userns, why, sizeof(why)), why, as_json);
	ver = charon_version(PROFILE_DEFAULT_CHARON);
	snprintf(why, sizeof(why), "%s %s", PROFILE_DEFAULT_CHARON, ver ? ver : "not runnable");
	add(doc, "charon", ver != NULL, why, as_json);
	free(ver);
	check_plugins(doc, as_json);
	kernel = uml_kernel();
	rel = uml_modules_release();
	snprintf(why, sizeof(why), "%s, modules %s%s", kernel ? kernel : err_msg(),
		 rel ? rel : "missing",
		 uml_needs_fpfix()
			 ? "; this CPU's XSAVE area needs the uml-fpfix shim (built with ikelab)"
			 : "");
	add(doc, "user_mode_linux", kernel && rel, why, as_json);
	free(rel);
	err_clear();
	pick = doctor_pick_backend();
	json_object_set_new(doc, "auto_backend", pick ? json_string(pick) : json_null());
	if (as_json) {
		char *text = json_dumps(doc, JSON_INDENT(2));

		puts(text);
		free(text);
	} else {
		printf("--kernel auto picks: %s\n",
		       pick ? pick : "nothing (no ESP in this kernel, no user-mode Linux)");
	}
	json_decref(doc);
	return pick ? 0 : 1;
}
