#include "charon/peer.h"
#include "base/err.h"
#include <jansson.h>
#include "kernel/netns.h"
#include "charon/vici.h"
#include "kernel/xfrm.h"
#include "base/spawn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define VICI_TIMEOUT_MS 5000

char *peer_vici_path(const struct peer *p)
{
	return xasprintf("%s/run/charon.vici", p->dir);
}

/* ---- strongswan.conf ------------------------------------------------- */

static void conf_bool(struct strbuf *sb, const char *key, const bool *v)
{
	if (v)
		sb_addf(sb, "\t%s = %s\n", key, *v ? "yes" : "no");
}

static void conf_u32(struct strbuf *sb, const char *key, const uint32_t *v)
{
	if (v)
		sb_addf(sb, "\t%s = %u\n", key, *v);
}

static void conf_str(struct strbuf *sb, const char *key, const char *v)
{
	if (v)
		sb_addf(sb, "\t%s = %s\n", key, v);
}

static void render_settings(struct strbuf *sb, const struct profile_settings *s)
{
	if (!s)
		return;
	conf_bool(sb, "make_before_break", s->make_before_break);
	conf_bool(sb, "reuse_ikesa", s->reuse_ikesa);
	conf_u32(sb, "send_delay", s->send_delay);
	conf_u32(sb, "send_delay_type", s->send_delay_type);
	conf_bool(sb, "send_delay_request", s->send_delay_request);
	conf_bool(sb, "send_delay_response", s->send_delay_response);
	conf_u32(sb, "receive_delay", s->receive_delay);
	conf_u32(sb, "receive_delay_type", s->receive_delay_type);
	conf_bool(sb, "receive_delay_request", s->receive_delay_request);
	conf_bool(sb, "receive_delay_response", s->receive_delay_response);
	conf_u32(sb, "retransmit_tries", s->retransmit_tries);
	conf_str(sb, "retransmit_timeout", s->retransmit_timeout);
	conf_str(sb, "retransmit_base", s->retransmit_base);
	conf_u32(sb, "retransmit_jitter", s->retransmit_jitter);
	conf_u32(sb, "retransmit_limit", s->retransmit_limit);
	conf_u32(sb, "threads", s->threads);
}

static void render_log(struct strbuf *sb, const struct peer *p)
{
	const struct profile_log *l = p->profile->log;
	const struct { const char *name; const int32_t *v; } levels[] = {
		{ "default", l ? l->dflt : NULL }, { "dmn", l ? l->dmn : NULL },
		{ "mgr", l ? l->mgr : NULL }, { "ike", l ? l->ike : NULL },
		{ "chd", l ? l->chd : NULL }, { "job", l ? l->job : NULL },
		{ "cfg", l ? l->cfg : NULL }, { "knl", l ? l->knl : NULL },
		{ "net", l ? l->net : NULL }, { "asn", l ? l->asn : NULL },
		{ "enc", l ? l->enc : NULL }, { "lib", l ? l->lib : NULL },
		{ "esp", l ? l->esp : NULL },
	};

	sb_addf(sb, "\tfilelog {\n\t\tikelab {\n");
	/* As charon sees it: the peer's run directory is its /run. */
	sb_addf(sb, "\t\t\tpath = /run/charon.log\n");
	/* time_add_ms is 5.9.8's name, time_precision the newer one; each
	 * version ignores the other. */
	sb_addf(sb, "\t\t\ttime_format = %%F %%T\n\t\t\ttime_add_ms = yes\n"
		"\t\t\ttime_precision = us\n\t\t\tike_name = yes\n"
		"\t\t\tflush_line = yes\n\t\t\tappend = yes\n");
	for (size_t i = 0; i < ARRAY_LEN(levels); i++)
		if (levels[i].v)
			sb_addf(sb, "\t\t\t%s = %d\n", levels[i].name, *levels[i].v);
	sb_addf(sb, "\t\t}\n\t}\n");
}

static char *render_strongswan_conf(const struct peer *p, const char *lab)
{
	const struct profile *pr = p->profile;
	struct strbuf sb = { 0 };

	sb_addf(&sb, "# strongswan.conf of peer %s in lab '%s', rendered by ikelab from %s.\n"
		"# charon reads it through STRONGSWAN_CONF; inside 'ikelab exec %s' it is\n"
		"# also /etc/strongswan.conf.\n\n", p->name, lab,
		pr->path ? pr->path : "(built-in defaults)", p->name);
	sb_addf(&sb, "charon {\n\tload =");
	if (pr->plugins_count)
		for (unsigned i = 0; i < pr->plugins_count; i++)
			sb_addf(&sb, " %s", pr->plugins[i]);
	else
		for (const char *const *d = profile_default_plugins; *d; d++)
			sb_addf(&sb, " %s", *d);
	sb_addf(&sb, "\n");
	render_settings(&sb, pr->settings);
	render_log(&sb, p);
	sb_addf(&sb, "\tsyslog {\n\t\tidentifier = charon-%s-%s\n"
		"\t\tdaemon {\n\t\t\tdefault = -1\n\t\t}\n\t}\n", lab, p->name);
	sb_addf(&sb, "\tplugins {\n\t\tvici {\n\t\t\tsocket = unix:///run/charon.vici\n"
		"\t\t}\n\t}\n}\n\n");
	/* swanctl inside the peer: without a list it tries every plugin it
	 * was built with and warns about each one that is not installed. */
	sb_addf(&sb, "swanctl {\n\tload = pem pkcs1 x509 revocation constraints pubkey openssl random\n}\n");
	if (pr->strongswan_conf)
		sb_addf(&sb, "\n# strongswan_conf from the profile:\n%s\n", pr->strongswan_conf);
	return sb.buf;
}

/* ---- the connection, as a VICI load-conn message ---------------------- */

static void kv_opt(struct vici_msg *m, const char *key, const char *v)
{
	if (v)
		vici_kv(m, key, "%s", v);
}

static void kv_list1(struct vici_msg *m, const char *key, const char *v)
{
	vici_list_begin(m, key);
	vici_list_item(m, "%s", v);
	vici_list_end(m);
}

static const char *conn_name(const struct peer *p)
{
	const struct profile_ike *ike = p->profile->ike;

	return ike && ike->name ? ike->name : "lab";
}

static const char *child_name(const struct peer *p)
{
	const struct profile_child *c = p->profile->child;

	return c && c->name ? c->name : "net";
}

static void build_child(struct vici_msg *m, const struct peer *p)
{
	const struct profile_child *c = p->profile->child;
	static const struct profile_child none;

	if (!c)
		c = &none;
	vici_section_begin(m, "children");
	vici_section_begin(m, child_name(p));
	kv_list1(m, "local_ts", p->local_ts);
	kv_list1(m, "remote_ts", p->remote_ts);
	kv_list1(m, "esp_proposals", c->esp_proposals ? c->esp_proposals : "aes128gcm16");
	vici_kv(m, "mode", "%s", c->mode ? c->mode : "tunnel");
	vici_kv(m, "start_action", "%s", c->start_action ? c->start_action : "trap");
	kv_opt(m, "close_action", c->close_action);
	kv_opt(m, "dpd_action", c->dpd_action);
	kv_opt(m, "rekey_time", c->rekey_time);
	kv_opt(m, "life_time", c->life_time);
	kv_opt(m, "rand_time", c->rand_time);
	vici_section_end(m);
	vici_section_end(m);
}

static void build_auth(struct vici_msg *m, const char *section, const char *id)
{
	vici_section_begin(m, section);
	vici_kv(m, "auth", "psk");
	vici_kv(m, "id", "%s", id);
	vici_section_end(m);
}

static struct vici_msg *build_conn(const struct peer *p)
{
	const struct profile_ike *ike = p->profile->ike;
	static const struct profile_ike none;
	struct vici_msg *m = vici_msg_new();

	if (!ike)
		ike = &none;
	vici_section_begin(m, conn_name(p));
	vici_kv(m, "version", "%u", ike->version ? *ike->version : 2);
	kv_list1(m, "local_addrs", p->local_addr);
	kv_list1(m, "remote_addrs", p->remote_addr);
	kv_list1(m, "proposals", ike->proposals ? ike->proposals : "aes128gcm16-prfsha256-ecp256");
	vici_kv(m, "unique", "%s", ike->unique ? ike->unique : "no");
	kv_opt(m, "rekey_time", ike->rekey_time);
	kv_opt(m, "reauth_time", ike->reauth_time);
	kv_opt(m, "over_time", ike->over_time);
	kv_opt(m, "rand_time", ike->rand_time);
	kv_opt(m, "dpd_delay", ike->dpd_delay);
	if (ike->mobike)
		vici_kv(m, "mobike", "%s", *ike->mobike ? "yes" : "no");
	if (ike->keyingtries)
		vici_kv(m, "keyingtries", "%u", *ike->keyingtries);
	build_auth(m, "local", p->name);
	build_auth(m, "remote", p->remote_name);
	build_child(m, p);
	vici_section_end(m);
	return m;
}

static struct vici_msg *build_secret(const struct peer *p)
{
	struct vici_msg *m = vici_msg_new();

	vici_kv(m, "type", "IKE");
	vici_kv(m, "data", "%s", p->psk);
	vici_list_begin(m, "owners");
	vici_list_item(m, "%s", p->name);
	vici_list_item(m, "%s", p->remote_name);
	vici_list_end(m);
	return m;
}

/* swanctl.conf syntax for a decoded VICI tree: the rendered file shows
 * exactly what was loaded, and `swanctl --load-all` inside the peer loads
 * the same thing again. */
static void render_tree(struct strbuf *sb, const struct vici_node *n, int depth)
{
	for (; n; n = n->next) {
		for (int i = 0; i < depth; i++)
			sb_add(sb, "\t", 1);
		if (n->type == VICI_NODE_SECTION) {
			sb_addf(sb, "%s {\n", n->name);
			render_tree(sb, n->children, depth + 1);
			for (int i = 0; i < depth; i++)
				sb_add(sb, "\t", 1);
			sb_addf(sb, "}\n");
		} else if (n->type == VICI_NODE_LIST) {
			sb_addf(sb, "%s = ", n->name);
			for (const struct vici_node *it = n->children; it; it = it->next)
				sb_addf(sb, "%s%s", it->value, it->next ? "," : "");
			sb_addf(sb, "\n");
		} else {
			sb_addf(sb, "%s = %s\n", n->name, n->value);
		}
	}
}

static char *render_swanctl_conf(const struct peer *p, const char *lab)
{
	struct vici_msg *m = build_conn(p);
	struct strbuf sb = { 0 };
	struct vici_node *tree;
	const uint8_t *buf;
	size_t len;

	if (vici_msg_bytes(m, &buf, &len) < 0 || !(tree = vici_decode(buf, len))) {
		vici_msg_free(m);
		return NULL;
	}
	sb_addf(&sb, "# swanctl.conf of peer %s in lab '%s', rendered by ikelab. The lab\n"
		"# loads the same settings over VICI (load-conn, load-shared).\n\n"
		"connections {\n", p->name, lab);
	render_tree(&sb, tree->children, 1);
	sb_addf(&sb, "}\n\nsecrets {\n\tike-lab {\n\t\tid-local = %s\n\t\tid-remote = %s\n"
		"\t\tsecret = \"%s\"\n\t}\n}\n", p->name, p->remote_name, p->psk);
	vici_node_free(tree);
	vici_msg_free(m);
	return sb.buf;
}

int peer_render(const struct peer *p, const char *lab)
{
	char *path, *text;
	int r;

	path = xasprintf("%s/run", p->dir);
	r = mkdir_p(path, 0755);
	free(path);
	path = xasprintf("%s/swanctl", p->dir);
	if (r == 0)
		r = mkdir_p(path, 0700);
	free(path);
	if (r < 0)
		return -1;

	text = render_strongswan_conf(p, lab);
	path = xasprintf("%s/run/strongswan.conf", p->dir);
	r = write_file(path, text, strlen(text), 0644);
	free(path);
	free(text);
	if (r < 0)
		return -1;

	/* swanctl --load-all inside the peer expects the usual folders. */
	for (const char *const *d = (const char *const[]){ "x509", "x509ca", "x509ocsp", "x509aa",
	     "x509ac", "x509crl", "pubkey", "private", "rsa", "ecdsa", "bliss", "pkcs8", "pkcs12",
	     NULL }; *d; d++) {
		path = xasprintf("%s/swanctl/%s", p->dir, *d);
		r = mkdir_p(path, 0700);
		free(path);
		if (r < 0)
			return -1;
	}
	text = render_swanctl_conf(p, lab);
	if (!text)
		return err_wrap("peer %s: rendering swanctl.conf", p->name);
	path = xasprintf("%s/swanctl/swanctl.conf", p->dir);
	r = write_file(path, text, strlen(text), 0600);
	free(path);
	free(text);
	return r;
}

/* ---- the peer's view: namespaces and mounts ---------------------------- */

static int bind_if_present(const char *src, const char *dst)
{
	if (!path_exists(dst))
		return 0;
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		return err_sys("bind %s on %s", src, dst);
	return 0;
}

int peer_enter(const char *dir, int nsfd)
{
	char src[PATH_MAX];

	if (setns(nsfd, CLONE_NEWNET) < 0)
		return err_sys("setns(CLONE_NEWNET)");
	if (unshare(CLONE_NEWNS) < 0)
		return err_sys("unshare(CLONE_NEWNS)");
	/* Our binds must not leak back into the parent's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return err_sys("make / a slave mount");
	snprintf(src, sizeof(src), "%s/run/strongswan.conf", dir);
	if (bind_if_present(src, "/etc/strongswan.conf") < 0)
		return -1;
	snprintf(src, sizeof(src), "%s/swanctl", dir);
	if (bind_if_present(src, "/etc/swanctl") < 0)
		return -1;
	/* Last: the lab directory itself usually lives under /run, and is
	 * hidden from here on. All charon needs is in the private /run. */
	snprintf(src, sizeof(src), "%s/run", dir);
	if (mount(src, "/run", NULL, MS_BIND, NULL) < 0)
		return err_sys("bind %s on /run", src);
	if (setenv("STRONGSWAN_CONF", "/run/strongswan.conf", 1) < 0)
		return err_sys("setenv");
	return 0;
}

/* ---- starting charon ------------------------------------------------- */

static void child_fail(int errfd)
{
	const char *msg = err_msg();

	if (write(errfd, msg, strlen(msg)) < 0)
		_exit(126);
	_exit(127);
}

static void charon_child(const struct peer *p, int nsfd, int gofd, int errfd)
{
	char go, *out;
	int fd;

	/* Wait until our pid is recorded; if the keeper died first, so do we. */
	if (read(gofd, &go, 1) != 1)
		_exit(125);
	close(gofd);
	setsid();
	out = xasprintf("%s/charon.out", p->dir);
	fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		err_sys("open %s", out);
		child_fail(errfd);
	}
	if (peer_enter(p->dir, nsfd) < 0)
		child_fail(errfd);
	dup2(fd, 1);
	dup2(fd, 2);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0)
		dup2(fd, 0);
	for (int i = 3; i < 1024; i++)
		if (i != errfd)
			close(i);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	execl(p->profile->charon ? p->profile->charon : PROFILE_DEFAULT_CHARON, "charon", (char *)NULL);
	err_sys("exec %s", p->profile->charon ? p->profile->charon : PROFILE_DEFAULT_CHARON);
	child_fail(errfd);
}

static void write_exit(const char *dir, pid_t pid, int status)
{
	char how[128], *path = xasprintf("%s/charon.exit", dir), *text;
	json_t *j;

	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "was killed by signal %d (%s)%s", WTERMSIG(status),
			 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
	j = json_pack("{s:i, s:s, s:i, s:i, s:I}", "pid", (int)pid, "how", how,
		      "signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0,
		      "exit_status", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		      "wall_ns", (json_int_t)wall_ns());
	text = json_dumps(j, JSON_COMPACT);
	write_file(path, text, strlen(text), 0644);
	free(text);
	free(path);
	json_decref(j);
}

/*
 * The keeper is charon's parent for charon's whole life. It knows how
 * charon ended -- a crash, a signal, an exit status -- and writes it to
 * DIR/charon.exit, which a recorder or `status` can then report. It holds
 * none of the controller's descriptors (the run directory's lock above all).
 */
static void keeper(const struct peer *p, int nsfd, int gofd, int infofd, int errfd)
{
	int cgo[2], status;
	char go;
	pid_t c;

	setsid();
	prctl(PR_SET_NAME, "ikelab-keeper");
	/* A charon started by a recording controller (a restart) runs at the
	 * default priority, not the recorder's (recorder.c: REC_NICE). */
	setpriority(PRIO_PROCESS, 0, 0);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	/* Not the controller's stdout either: `ikelab up | tail` would wait
	 * for charon's end. */
	devnull_stdio();
	for (int i = 3; i < 1024; i++)
		if (i != nsfd && i != gofd && i != infofd && i != errfd)
			close(i);
	if (pipe2(cgo, O_CLOEXEC) < 0)
		_exit(1);
	c = fork();
	if (c == 0) {
		close(cgo[1]);
		close(gofd);
		close(infofd);
		charon_child(p, nsfd, cgo[0], errfd);
	}
	close(cgo[0]);
	close(errfd);
	close(nsfd);
	if (write(infofd, &c, sizeof(c)) != sizeof(c) || c < 0 || read(gofd, &go, 1) != 1) {
		if (c > 0) {
			kill(c, SIGKILL);
			waitpid(c, NULL, 0);
		}
		_exit(1);
	}
	close(infofd);
	close(gofd);
	if (write(cgo[1], "g", 1) != 1)
		_exit(1);
	close(cgo[1]);
	while (waitpid(c, &status, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	write_exit(p->dir, c, status);
	_exit(0);
}

static int pipes(int fds[][2], int n)
{
	for (int i = 0; i < n; i++)
		if (pipe2(fds[i], O_CLOEXEC) < 0) {
			while (i-- > 0) {
				close(fds[i][0]);
				close(fds[i][1]);
			}
			return err_sys("pipe");
		}
	return 0;
}

int peer_spawn(struct peer *p, peer_record_fn record, void *ctx)
{
	int fd[3][2], nsfd;     /* go (us -> keeper), info (keeper -> us), exec errors */
	char *exitfile = xasprintf("%s/charon.exit", p->dir);
	pid_t k, c = -1;
	ssize_t n;

	p->exec_fd = -1;
	unlink(exitfile);
	free(exitfile);
	nsfd = netns_open(p->netns);
	if (nsfd < 0)
		return -1;
	if (pipes(fd, 3) < 0) {
		close(nsfd);
		return -1;
	}
	k = fork();
	if (k == 0) {
		close(fd[0][1]);
		close(fd[1][0]);
		close(fd[2][0]);
		keeper(p, nsfd, fd[0][0], fd[1][1], fd[2][1]);
	}
	close(fd[0][0]);
	close(fd[1][1]);
	close(fd[2][1]);
	close(nsfd);
	if (k > 0) {
		do
			n = read(fd[1][0], &c, sizeof(c));
		while (n < 0 && errno == EINTR);
		if (n != sizeof(c))
			c = -1;
	}
	close(fd[1][0]);
	/* Both pids are on record before charon may exec. */
	if (k < 0 || c <= 0 || proc_id_of(k, &p->keeper) < 0 || proc_id_of(c, &p->charon) < 0 ||
	    record(ctx, p) < 0 || write(fd[0][1], "g", 1) != 1) {
		if (k < 0)
			err_sys("fork");
		else if (c <= 0)
			err_set("the keeper process could not fork charon");
		if (k > 0) {
			kill(k, SIGKILL);
			waitpid(k, NULL, 0);
		}
		close(fd[0][1]);
		close(fd[2][0]);
		return err_wrap("peer %s: starting charon", p->name);
	}
	close(fd[0][1]);
	/* The keeper is not ours to wait for: it lives as long as charon. */
	p->exec_fd = fd[2][0];
	return 0;
}

int peer_spawn_wait(struct peer *p)
{
	char msg[ERR_MSG_MAX];
	ssize_t n;

	if (p->exec_fd < 0)
		return 0;
	/* EOF without a message: exec succeeded (the pipe is close-on-exec). */
	n = read(p->exec_fd, msg, sizeof(msg) - 1);
	close(p->exec_fd);
	p->exec_fd = -1;
	if (n > 0) {
		msg[n] = '\0';
		return err_set("peer %s: starting charon: %s", p->name, msg);
	}
	return 0;
}

char *peer_log_tail(const char *dir, int lines)
{
	const char *files[] = { "run/charon.log", "charon.out" };
	struct strbuf sb = { 0 };

	for (size_t f = 0; f < ARRAY_LEN(files); f++) {
		char *path = xasprintf("%s/%s", dir, files[f]);
		char *tail = file_tail(path, lines);

		if (tail) {
			sb_addf(&sb, "--- last lines of %s ---\n%s%s", path, tail,
				tail[0] && tail[strlen(tail) - 1] != '\n' ? "\n" : "");
			free(tail);
		}
		free(path);
	}
	if (!sb.buf)
		sb_addf(&sb, "(charon wrote no log)\n");
	return sb.buf;
}

static int charon_died(const struct peer *p)
{
	char *tail = peer_log_tail(p->dir, 8), *how;

	/* The keeper writes how charon ended; give it a moment. */
	for (int i = 0; i < 50 && !(how = peer_exit_reason(p->dir)); i++)
		sleep_ms(10);
	err_set("peer %s: charon (pid %d) %s during start-up\n%s", p->name,
		(int)p->charon.pid, how ? how : "exited", tail);
	free(how);
	free(tail);
	return -1;
}

char *peer_exit_reason(const char *dir)
{
	char *path = xasprintf("%s/charon.exit", dir), *how = NULL;
	json_t *j = json_load_file(path, 0, NULL);

	free(path);
	if (j && json_string_value(json_object_get(j, "how")))
		how = xstrdup(json_string_value(json_object_get(j, "how")));
	json_decref(j);
	return how;
}

int peer_wait_vici(const struct peer *p, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	char *path = peer_vici_path(p);

	for (;;) {
		struct vici_conn *c;

		if (!proc_alive(&p->charon)) {
			free(path);
			return charon_died(p);
		}
		c = vici_connect(path, 100);
		if (c) {
			vici_close(c);
			free(path);
			return 0;
		}
		if (mono_ns() >= deadline) {
			char *tail = peer_log_tail(p->dir, 6);

			err_set("peer %s: charon (pid %d) did not open its VICI socket within %d ms "
				"(%s)\n%s", p->name, (int)p->charon.pid, timeout_ms, path, tail);
			free(tail);
			free(path);
			return -1;
		}
	}
}

static int vici_load(struct vici_conn *c, const char *cmd, struct vici_msg *m, const struct peer *p)
{
	struct vici_node *resp = NULL;
	int r = vici_cmd(c, cmd, m, &resp, VICI_TIMEOUT_MS);

	if (r == 0)
		r = vici_check_success(resp, cmd);
	vici_node_free(resp);
	if (r < 0)
		err_wrap("peer %s", p->name);
	return r;
}

int peer_load(const struct peer *p)
{
	char *path = peer_vici_path(p);
	struct vici_conn *c = vici_connect(path, VICI_TIMEOUT_MS);
	struct vici_msg *m;
	int r;

	free(path);
	if (!c)
		return err_wrap("peer %s", p->name);
	m = build_secret(p);
	r = vici_load(c, "load-shared", m, p);
	vici_msg_free(m);
	if (r == 0) {
		m = build_conn(p);
		r = vici_load(c, "load-conn", m, p);
		vici_msg_free(m);
	}
	vici_close(c);
	return r;
}

static bool trap_installed(const struct xfrm_dump *d, const struct peer *p)
{
	for (size_t i = 0; i < d->n_policies; i++) {
		const struct xfrm_policy_info *pol = &d->policies[i];

		if (!strcmp(pol->dir, "out") && !strcmp(pol->src, p->local_ts) &&
		    !strcmp(pol->dst, p->remote_ts))
			return true;
	}
	return false;
}

int peer_wait_traps(const struct peer *p, int nsfd, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;

	for (;;) {
		struct xfrm_dump d;
		bool ok;

		if (xfrm_dump(nsfd, &d) < 0)
			return err_wrap("peer %s", p->name);
		ok = trap_installed(&d, p);
		xfrm_dump_free(&d);
		if (ok)
			return 0;
		if (!proc_alive(&p->charon))
			return charon_died(p);
		if (mono_ns() >= deadline)
			return err_set("peer %s: no trap policy %s === %s in the kernel %d ms after "
				       "load-conn (is start_action trap?)", p->name, p->local_ts,
				       p->remote_ts, timeout_ms);
		sleep_ms(10);
	}
}

/* `charon --version`, for doctor and the lab's record of what ran. At most
 * 5 s: a binary that never answers must not hang doctor. Its stderr stays
 * ours, so that a loader's complaint is seen. Its exit status does not
 * matter, what it printed does (err_msg() says how it ended, if badly). */
char *charon_version(const char *binary)
{
	char *const argv[] = { (char *)binary, "--version", NULL };
	struct spawn_opts o = { .io = { SPAWN_NULL, SPAWN_CAPTURE, SPAWN_INHERIT } };
	struct strbuf out = { 0 };
	char *v, *r = NULL;

	spawn_run(argv, &o, 5000, &out, NULL);
	/* "Linux strongSwan 5.9.8" (or "U5.9.8/K6.1" on older builds) */
	v = out.buf ? strstr(out.buf, "strongSwan ") : NULL;
	if (v) {
		v += strlen("strongSwan ");
		if (*v == 'U')
			v++;
		v[strcspn(v, "/ \n")] = '\0';
		r = xstrdup(v);
	}
	sb_free(&out);
	return r;
}
