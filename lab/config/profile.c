#include "config/profile.h"
#include "base/err.h"

#include <string.h>

const char *const profile_default_plugins[] = {
	"random", "nonce", "kdf", "openssl", "pem", "pkcs1", "x509",
	"kernel-netlink", "socket-default", "vici", NULL,
};

static int too_long(const char *s)
{
	return err_set("'%s' is too long a duration (at most %u seconds)", s,
	    (unsigned)UINT32_MAX);
}

static int duration_err(const char *s)
{
	return err_set("'%s' is not a duration (seconds, or a number with "
	    "s, m, h or d: 90, 10s, 5m, 1h, 2d)", s);
}

/*
 * Decimal only, without leading zeros: charon reads times with
 * strtoul(..., 0), so "010" would be 8 seconds there and "0x10" 16.
 */
int duration_parse(const char *s, uint32_t *secs)
{
	size_t digits = strspn(s, "0123456789");
	const char *unit = s + digits;
	uint64_t v = 0, mult;

	if (!digits || (s[0] == '0' && digits > 1) || (unit[0] && unit[1]))
		return duration_err(s);
	switch (*unit) {
	case '\0':
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 60 * 60;
		break;
	case 'd':
		mult = 24 * 60 * 60;
		break;
	default:
		return duration_err(s);
	}
	/* Ten digits overflow neither v nor v * mult. */
	if (digits > 10)
		return too_long(s);
	for (size_t i = 0; i < digits; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (v * mult > UINT32_MAX)
		return too_long(s);
	*secs = (uint32_t)(v * mult);
	return 0;
}
