/*
 * cli.h - what ikelab-probe and ikelab-blast share on their command line:
 * fatal errors in the program's name, exit status 2, and numeric
 * addresses (the probes never resolve names: they run in a lab namespace
 * without DNS).
 */
#ifndef IKELAB_PROBES_CLI_H
#define IKELAB_PROBES_CLI_H

#include <sys/socket.h>

/* "PROGRAM: <err_msg()>" on stderr, exit 2. */
void cli_die(void) __attribute__((noreturn));

/* "PROGRAM: <message>" on stderr, exit 2. */
void cli_usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* ADDR (numeric IPv4 or IPv6) and PORT into *ss; a usage error naming
 * the option OPT when ADDR is not an address. */
void cli_resolve(const char *opt, const char *addr, unsigned port, struct sockaddr_storage *ss,
		 socklen_t *len);

#endif
