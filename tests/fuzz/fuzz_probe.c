/*
 * fuzz_probe.c - ikelab-probe's receiver: datagrams from the network
 * (probes/receiver.c rx_packet and the gap and interval bookkeeping behind
 * it), in the order receiver_main() runs them, with the clock under the
 * input's control. The probe is a program with static functions, so it is
 * included here with its main renamed.
 *
 * Input: one byte of options, then records of 25 bytes:
 *	flags	bit 0: break the magic; bit 1: send time just before now
 *		(else raw); bit 2: seq relative to the last one (else raw);
 *		bit 3: the run id from the record (else a fixed one);
 *		bits 4-7: milliseconds the clock advances first
 *	seq, sent, run	u64 each, big-endian
 * What the probe prints (stdout, a memfd here) must stay one JSON object
 * per line.
 */
#define main probe_main
int probe_main(int argc, char **argv);
#include "../../probes/probe.c"
#include "../../probes/receiver.c"
#include "../../probes/cli.c"
#undef main

#include <sys/mman.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EPOCH (1000 * NS)

static int out_fd = -1;

static void check_output(void)
{
	off_t len = lseek(STDOUT_FILENO, 0, SEEK_CUR);
	char *text, *line, *save;

	CHECK(len >= 0);
	if (len == 0)
		return;
	text = xmalloc((size_t)len + 1);
	CHECK(pread(out_fd, text, (size_t)len, 0) == len);
	text[len] = '\0';
	CHECK(text[len - 1] == '\n');
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);

		CHECK(n < 512 && !strncmp(line, "{\"type\":\"", 9) && line[n - 1] == '}');
		CHECK(!strstr(line, "\"packets\":0,"));
	}
	free(text);
	CHECK(ftruncate(out_fd, 0) == 0 && lseek(STDOUT_FILENO, 0, SEEK_SET) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t intervals[] = { 100 * MS, 1 * MS, 7 * MS, 1000 * MS };
	static const int64_t graces[] = { 1000 * MS, 0, 50 * MS, 3000 * MS };
	static struct receiver r;
	static uint64_t *seen;
	struct opts o = { .local = "fuzz", .port = 7000 };
	int64_t now = EPOCH;
	uint64_t last = 0;

	if (out_fd < 0) {
		out_fd = memfd_create("probe-out", MFD_CLOEXEC);
		CHECK(out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) == STDOUT_FILENO);
	}
	if (size < 1)
		return 0;
	o.interval_ns = intervals[data[0] & 3];
	o.grace_ns = graces[(data[0] >> 2) & 3];
	data++;
	size--;
	/* receiver_init() without its 256 KiB calloc per input (ASan makes
	 * that the slowest part): the window is kept and cleared. */
	if (!seen)
		seen = xcalloc(WIN_BITS / 64, sizeof(*seen));
	memset(seen, 0, WIN_BITS / 8);
	memset(&r, 0, sizeof(r));
	r.fd = -1;
	r.o = &o;
	r.nring = o.grace_ns / o.interval_ns + 3;
	r.ring = xcalloc((size_t)r.nring, sizeof(*r.ring));
	r.next_report = EPOCH / o.interval_ns;
	r.run_epoch = EPOCH;
	r.seen = seen;
	for (; size >= 25; data += 25, size -= 25) {
		unsigned char pkt[HDR_LEN] = "IKLP";
		uint8_t fl = data[0];
		uint64_t seq = get_be64(data + 1), sent = get_be64(data + 9);

		now += (int64_t)(fl >> 4) * MS;
		pkt[4] = VERSION;
		if (fl & 1)
			pkt[0] = 'X';
		if (fl & 2)
			sent = (uint64_t)(now - (int64_t)(sent % (uint64_t)(4 * NS)));
		if (fl & 4)
			seq = last + (uint64_t)(int64_t)(int8_t)(seq & 0xff);
		last = seq;
		put_be64(pkt + 8, seq);
		put_be64(pkt + 16, sent);
		put_be64(pkt + 24, (fl & 8) ? get_be64(data + 17) : 0x1234);
		rx_roll(&r, now, false);
		rx_packet(&r, pkt, sizeof(pkt), now);
		gaps_final(&r, now, false);
		CHECK(r.gap_head <= r.ngaps && r.ngaps <= r.gap_cap);
		for (size_t i = r.gap_head; i < r.ngaps; i++)
			CHECK(r.gaps[i].first <= r.gaps[i].last &&
			      (i + 1 == r.ngaps || r.gaps[i].last < r.gaps[i + 1].first));
	}
	gaps_final(&r, now, true);
	rx_roll(&r, now, true);
	CHECK(r.gap_head == 0 && r.ngaps == 0);
	check_output();
	free(r.ring);
	free(r.gaps);
	return 0;
}
