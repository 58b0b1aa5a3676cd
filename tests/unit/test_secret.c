/* The lab's PSK kept out of evidence copies and quoted log lines (issue
 * 11, finding 9): the structure of swanctl.conf stays, its secret does
 * not; a PSK that charon logs at level 4 (a hex dump) goes too. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "charon/secret.h"

#define PSK "3f9a0c1b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829304a5b6c7d8"

static char *redact(const char *text, const char *psk)
{
	size_t len;
	char *out = secret_redact(text, strlen(text), psk, &len);

	ck_assert_uint_eq(len, strlen(out));
	return out;
}

START_TEST(test_swanctl_conf_keeps_its_shape)
{
	const char *conf = "connections {\n\tlab {\n\t\tversion = 2\n\t}\n}\n\n"
			   "secrets {\n\tike-lab {\n\t\tid-local = alice\n\t\tid-remote = bob\n"
			   "\t\tsecret = \"" PSK "\"\n\t}\n}\n";
	char *out = redact(conf, PSK);

	ck_assert_str_eq(out, "connections {\n\tlab {\n\t\tversion = 2\n\t}\n}\n\n"
			      "secrets {\n\tike-lab {\n\t\tid-local = alice\n\t\tid-remote = bob\n"
			      "\t\tsecret = <redacted: the lab's random PSK>\n\t}\n}\n");
	free(out);
}
END_TEST

/* Whatever the value and the spacing, without knowing the PSK. */
START_TEST(test_secret_lines_without_psk)
{
	char *out = redact("  secret=abc\nsecret   =   0sAAAA\nsecrets {\nnot_secret = x\n", NULL);

	ck_assert_str_eq(out, "  secret=<redacted: the lab's random PSK>\n"
			      "secret   =   <redacted: the lab's random PSK>\n"
			      "secrets {\nnot_secret = x\n");
	free(out);
}
END_TEST

START_TEST(test_psk_anywhere)
{
	char *out = redact("loaded " PSK " twice: " PSK, PSK);

	ck_assert_ptr_null(strstr(out, "3f9a0c1b"));
	ck_assert_str_eq(out, "loaded <redacted: the lab's random PSK> twice: "
			      "<redacted: the lab's random PSK>");
	free(out);
}
END_TEST

/* charon's %B at log level 4: 16 bytes a line, hex then ASCII. */
START_TEST(test_psk_in_charon_hex_dump)
{
	const char *log =
		"12:00:00 09[IKE] <lab|1> secret => 64 bytes @ 0x7f00deadbeef\n"
		"12:00:00 09[IKE] <lab|1>    0: 33 66 39 61 30 63 31 62 32 64 34 65 35 66 36 30  "
		"3f9a0c1b2d4e5f60\n"
		"12:00:00 09[IKE] <lab|1>   16: 37 31 38 32 39 33 61 34 62 35 63 36 64 37 65 38  "
		"718293a4b5c6d7e8\n"
		"12:00:00 09[IKE] <lab|1>   32: 66 39 30 61 31 62 32 63 33 64 34 65 35 66 36 30  "
		"f90a1b2c3d4e5f60\n"
		"12:00:00 09[IKE] <lab|1>   48: 37 31 38 32 39 33 30 34 61 35 62 36 63 37 64 38  "
		"71829304a5b6c7d8\n";
	char *out = redact(log, PSK);

	ck_assert_ptr_null(strstr(out, "3f9a0c1b2d4e5f60"));
	ck_assert_ptr_null(strstr(out, "71829304a5b6c7d8"));
	ck_assert_ptr_null(strstr(out, "33 66 39 61"));
	ck_assert_ptr_null(strstr(out, "37 31 38 32 39 33 30 34"));
	ck_assert_ptr_nonnull(strstr(out, "secret => 64 bytes @ 0x7f00deadbeef\n"));
	ck_assert_ptr_nonnull(strstr(out, "   48: <redacted"));
	free(out);
}
END_TEST

/* A log without the PSK comes back byte for byte. */
START_TEST(test_other_text_untouched)
{
	const char *log = "12:00:00 05[IKE] establishing CHILD_SA net{1}\n\n"
			  "12:00:01 05[CFG] selected proposal: ESP:AES_GCM_16_128/NO_EXT_SEQ";
	char *out = redact(log, PSK);

	ck_assert_str_eq(out, log);
	free(out);
	out = redact("", PSK);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("redact");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_swanctl_conf_keeps_its_shape);
	tcase_add_test(tc, test_secret_lines_without_psk);
	tcase_add_test(tc, test_psk_anywhere);
	tcase_add_test(tc, test_psk_in_charon_hex_dump);
	tcase_add_test(tc, test_other_text_untouched);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
