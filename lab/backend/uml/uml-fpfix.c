/*
 * uml-fpfix.c - LD_PRELOAD shim that lets Debian's user-mode Linux 6.1 run on
 * hosts whose XSAVE area is larger than the one UML was built for.
 *
 * UML saves and restores the FPU state of its processes with
 * PTRACE_GETREGSET/PTRACE_SETREGSET(NT_X86_XSTATE) into a fixed 832-byte
 * buffer (legacy area, header, AVX). Since Linux 5.14 the host refuses a
 * SETREGSET that is not exactly the full XSAVE size of the machine (11008
 * bytes with AVX-512 and AMX), so UML's first process dies with "ptrace set
 * fp regs failed, errno = 14" and the kernel panics.
 *
 * The shim keeps, for every buffer UML passes (one per UML thread, at a
 * stable address), the full-size state seen at the last GET. A SET then
 * sends that full state with UML's own 832 bytes laid over its start, so
 * the components UML does not know about (AVX-512, AMX) stay with the
 * thread they belong to instead of leaking between threads of one process.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

long ptrace(enum __ptrace_request request, ...);

typedef long (*ptrace_fn)(enum __ptrace_request, pid_t, void *, void *);

#define SLOTS 2048          /* UML threads alive at once, with margin */
#define PROBE_MAX 64 * 1024 /* larger than any XSAVE area to date */

struct slot {
	void *key;            /* UML's buffer address */
	unsigned char *state; /* full-size copy */
};

static ptrace_fn real_ptrace;
static size_t full_size;
static struct slot slots[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct slot *slot_for(void *key, int create)
{
	size_t h = ((uintptr_t)key >> 4) % SLOTS;

	for (size_t i = 0; i < SLOTS; i++) {
		struct slot *s = &slots[(h + i) % SLOTS];

		if (s->key == key)
			return s;
		if (!s->key) {
			if (!create)
				return NULL;
			s->state = calloc(1, full_size);
			if (!s->state)
				return NULL;
			s->key = key;
			return s;
		}
	}
	/* Table full: reuse the home slot. Its owner, if still alive,
	 * loses only the state UML cannot see anyway. */
	if (create) {
		slots[h].key = key;
		return &slots[h];
	}
	return NULL;
}

/* Full XSAVE state of a tracee; learns the size on first use. */
static long get_full(pid_t pid, void *addr, unsigned char *buf, size_t len)
{
	struct iovec iov = { buf, len };
	long r = real_ptrace(PTRACE_GETREGSET, pid, addr, &iov);

	if (r == 0 && !full_size)
		full_size = iov.iov_len;
	return r;
}

static int learn_size(pid_t pid, void *addr)
{
	unsigned char *probe;
	long r;

	if (full_size)
		return 0;
	probe = malloc(PROBE_MAX);
	if (!probe)
		return -1;
	r = get_full(pid, addr, probe, PROBE_MAX);
	free(probe);
	return r == 0 ? 0 : -1;
}

static long xstate_get(pid_t pid, void *addr, struct iovec *iov)
{
	struct slot *s;
	long r;

	if (learn_size(pid, addr) < 0 || iov->iov_len >= full_size)
		return real_ptrace(PTRACE_GETREGSET, pid, addr, iov);
	s = slot_for(iov->iov_base, 1);
	if (!s)
		return real_ptrace(PTRACE_GETREGSET, pid, addr, iov);
	r = get_full(pid, addr, s->state, full_size);
	if (r == 0)
		memcpy(iov->iov_base, s->state, iov->iov_len);
	return r;
}

static long xstate_set(pid_t pid, void *addr, struct iovec *iov)
{
	struct iovec full;
	struct slot *s;
	long r;

	if (learn_size(pid, addr) < 0 || iov->iov_len >= full_size)
		return real_ptrace(PTRACE_SETREGSET, pid, addr, iov);
	s = slot_for(iov->iov_base, 0);
	if (!s) {
		/* A buffer never read back (a new thread): start from the
		 * process's current state. */
		s = slot_for(iov->iov_base, 1);
		if (!s)
			return real_ptrace(PTRACE_SETREGSET, pid, addr, iov);
		r = get_full(pid, addr, s->state, full_size);
		if (r < 0)
			return r;
	}
	memcpy(s->state, iov->iov_base, iov->iov_len);
	full.iov_base = s->state;
	full.iov_len = full_size;
	return real_ptrace(PTRACE_SETREGSET, pid, addr, &full);
}

long ptrace(enum __ptrace_request request, ...)
{
	va_list ap;
	pid_t pid;
	void *addr, *data;
	long r;

	va_start(ap, request);
	pid = va_arg(ap, pid_t);
	addr = va_arg(ap, void *);
	data = va_arg(ap, void *);
	va_end(ap);

	if (!real_ptrace)
		real_ptrace = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
	if (!real_ptrace) {
		errno = ENOSYS;
		return -1;
	}
	if ((request != PTRACE_GETREGSET && request != PTRACE_SETREGSET) ||
	    (uintptr_t)addr != NT_X86_XSTATE || !data)
		return real_ptrace(request, pid, addr, data);

	pthread_mutex_lock(&lock);
	if (request == PTRACE_GETREGSET)
		r = xstate_get(pid, addr, data);
	else
		r = xstate_set(pid, addr, data);
	pthread_mutex_unlock(&lock);
	return r;
}
