// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * Unit tests: libbnn's card API (bnn_device.h, libbnn/src/device.c) and
 * the rbnn backend (backend_rbnn.c) on a host without RBNN cards: the
 * paths that need no card (empty lists, errors naming what is missing,
 * AUTO falling back to emu, fake cards that are gone or not rbnn, the
 * helpers).  Everything with cards runs in the VM tier
 * (tests/vm/guest/libbnn-rbnn.sh, libbnn-smi.sh, libbnn-scaling.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "bnn.h"
#include "bnn_device.h"
#include "device.h"		/* bnn__scrub_parse */

/* Cards on this machine (the no-card tests skip when there are some). */
static size_t host_cards(void)
{
	bnn_card *v = NULL;
	size_t n = 0;

	assert_int_equal(bnn_card_list(&v, &n, NULL), BNN_OK);
	bnn_card_list_free(v);
	return n;
}

static void test_no_cards(void **state)
{
	bnn_card *v = (bnn_card *)1, c;
	size_t n = 99;
	bnn_error e;

	(void)state;
	if (host_cards())
		skip();
	assert_int_equal(bnn_card_list(&v, &n, &e), BNN_OK);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_int_equal(bnn_card_find(NULL, &c, &e), BNN_E_NODEV);
	assert_non_null(strstr(e.msg, "no RBNN card"));
	assert_non_null(strstr(e.msg, "modprobe rbnn"));
	assert_int_equal(bnn_card_find("accel0", &c, &e), BNN_E_NODEV);
}

static void test_backend_without_card(void **state)
{
	bnn_backend *be = (bnn_backend *)1;
	bnn_backend_opts o;
	bnn_backend_info bi;
	bnn_error e;

	(void)state;
	if (host_cards())
		skip();
	assert_int_equal(bnn_backend_open(BNN_BACKEND_RBNN, NULL, &be, &e),
			 BNN_E_NODEV);
	assert_null(be);
	assert_non_null(strstr(e.msg, "rbnn"));
	bnn_backend_opts_init(&o);
	o.device = "/dev/accel/accel3";
	assert_int_equal(bnn_backend_open(BNN_BACKEND_RBNN, &o, &be, &e),
			 BNN_E_NODEV);
	/* AUTO: no card, so the emulated one (when built in) */
	if (bnn_backend_open(BNN_BACKEND_AUTO, NULL, &be, &e) == BNN_OK) {
		assert_int_equal(bnn_backend_info_get(be, &bi), BNN_OK);
		assert_int_not_equal(bi.kind, BNN_BACKEND_RBNN);
		bnn_backend_close(be);
	}
}

static void test_helpers(void **state)
{
	char buf[160], tiny[8];

	(void)state;
	assert_string_equal(bnn_cell_mode_name(0), "2T2R");
	assert_string_equal(bnn_cell_mode_name(1), "1T1R");
	assert_string_equal(bnn_cell_mode_name(7), "?");
	assert_string_equal(bnn_card_caps_str(0x7ff, buf, sizeof(buf)),
			    "2T2R 1T1R FC CONV1D MAXPOOL1D BITSERIAL VERIFY REFRESH TIMING DEBUG ERROR_MODEL");
	assert_string_equal(bnn_card_caps_str(0x2ff, buf, sizeof(buf)),
			    "2T2R 1T1R FC CONV1D MAXPOOL1D BITSERIAL VERIFY REFRESH DEBUG");
	assert_string_equal(bnn_card_caps_str(0xcff, buf, sizeof(buf)),
			    "2T2R 1T1R FC CONV1D MAXPOOL1D BITSERIAL VERIFY REFRESH ERROR_MODEL SCRUB_COUNT");
	assert_string_equal(bnn_card_caps_str(1u << 12 | 1u << 31, buf, sizeof(buf)),
			    "bit12 bit31");
	assert_string_equal(bnn_card_caps_str(0, buf, sizeof(buf)), "");
	/* cut, never overrun */
	memset(tiny, 'x', sizeof(tiny));
	bnn_card_caps_str(0x7ff, tiny, sizeof(tiny));
	assert_true(strlen(tiny) < sizeof(tiny));
	assert_null(bnn_card_caps_str(1, NULL, 0));
}

static void test_null_args(void **state)
{
	bnn_card c;
	bnn_card_health h;
	bnn_tile *t;
	bnn_card_proc *p;
	bnn_scrub_tile *st;
	size_t n;
	bnn_error e;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(bnn_card_list(NULL, &n, &e), BNN_E_INVAL);
	assert_int_equal(bnn_card_find(NULL, NULL, &e), BNN_E_INVAL);
	assert_int_equal(bnn_card_health_get(NULL, &h, &e), BNN_E_INVAL);
	assert_int_equal(bnn_card_health_get(&c, NULL, &e), BNN_E_INVAL);
	assert_int_equal(bnn_card_tiles(&c, NULL, &n, &e), BNN_E_INVAL);
	assert_int_equal(bnn_card_tiles(NULL, &t, &n, &e), BNN_E_INVAL);
	assert_int_equal(bnn_card_processes(NULL, &p, &n, &e), BNN_E_INVAL);
	assert_int_equal(bnn_card_reset(NULL, &e), BNN_E_INVAL);
	assert_int_equal(bnn_card_scrub(NULL, &st, &n, &e), BNN_E_INVAL);
	assert_int_equal(bnn_card_scrub(&c, NULL, &n, &e), BNN_E_INVAL);
	assert_int_equal(bnn_card_scrub(&c, &st, NULL, &e), BNN_E_INVAL);
	bnn_card_list_free(NULL);
}

/* A card that went away: its sysfs directory and node are gone. */
static void test_gone_card(void **state)
{
	bnn_card c;
	bnn_card_health h;
	bnn_tile *t = (bnn_tile *)1;
	size_t n = 5;
	bnn_error e;

	(void)state;
	memset(&c, 0, sizeof(c));
	snprintf(c.node, sizeof(c.node), "/dev/accel/accel97");
	snprintf(c.name, sizeof(c.name), "accel97");
	snprintf(c.pci, sizeof(c.pci), "0000:7f:1f.7");
	snprintf(c.driver, sizeof(c.driver), "rbnn");
	snprintf(c.syspath, sizeof(c.syspath), "/sys/devices/nonexistent/accel97");
	assert_int_equal(bnn_card_health_get(&c, &h, &e), BNN_E_NODEV);
	assert_non_null(strstr(e.msg, "gone"));
	assert_int_equal(bnn_card_reset(&c, &e), BNN_E_NODEV);
	{
		bnn_scrub_tile *st = (bnn_scrub_tile *)1;

		n = 3;
		assert_int_equal(bnn_card_scrub(&c, &st, &n, &e), BNN_E_NODEV);
		assert_null(st);
		assert_int_equal(n, 0);
		assert_non_null(strstr(e.msg, "gone"));
	}
	assert_int_equal(bnn_card_tiles(&c, &t, &n, &e), BNN_E_NODEV);
	assert_null(t);
	assert_int_equal(n, 0);
	assert_non_null(strstr(e.msg, "/dev/accel/accel97"));
}

/* A node that is no rbnn device at all. */
static void test_not_rbnn(void **state)
{
	bnn_card c;
	bnn_card_health h;
	bnn_tile *t = NULL;
	bnn_card_proc *p = (bnn_card_proc *)1;
	size_t n = 0;
	bnn_error e;

	(void)state;
	memset(&c, 0, sizeof(c));
	snprintf(c.node, sizeof(c.node), "/dev/null");
	snprintf(c.name, sizeof(c.name), "null");
	snprintf(c.pci, sizeof(c.pci), "0000:7f:1f.6");
	snprintf(c.syspath, sizeof(c.syspath), "/sys/class/mem/null");
	assert_int_equal(bnn_card_tiles(&c, &t, &n, &e), BNN_E_NODEV);
	assert_non_null(strstr(e.msg, "not rbnn"));
	/* health: no sysfs attributes, the node refused: still BNN_OK with
	 * nothing known and the reason kept */
	assert_int_equal(bnn_card_health_get(&c, &h, &e), BNN_OK);
	assert_int_equal(h.source, BNN_HEALTH_SYSFS);
	assert_int_equal(h.have, 0);
	assert_int_equal(h.open_status, BNN_E_NODEV);
	assert_non_null(strstr(h.open_msg, "not rbnn"));
	assert_true(h.endurance == BNN_UNKNOWN);
	assert_true(h.wear_life_used < 0);
	/* no process has such a card open */
	assert_int_equal(bnn_card_processes(&c, &p, &n, &e), BNN_OK);
	assert_int_equal(n, 0);
	assert_null(p);
	/* no administration of it */
	assert_int_not_equal(bnn_card_reset(&c, &e), BNN_OK);
	{
		bnn_scrub_tile *st = (bnn_scrub_tile *)1;

		assert_int_not_equal(bnn_card_scrub(&c, &st, &n, &e), BNN_OK);
		assert_null(st);
		assert_int_equal(n, 0);
		/* as root: the node is no rbnn card; otherwise: root needed */
		assert_true(e.code == BNN_E_PERM || e.code == BNN_E_NODEV);
		assert_non_null(strstr(e.msg, "/dev/null"));
	}
}

#define SCRUB_HDR "tile status hw_status weak_cells unverified pulses time_ns energy_pj\n"

/* The report of the driver's debugfs "scrub" file. */
static void test_scrub_parse(void **state)
{
	static const char *const bad[] = {
		NULL,
		"",			/* no header */
		"tile status\n0 0 0 1 0 2 3 4\n",		/* header */
		SCRUB_HDR "0 0 0 1 0 2 3\n",		/* 7 fields */
		SCRUB_HDR "0 0 0 1 0 2 3 4",		/* no newline */
		SCRUB_HDR "0 0 0 1 0 2 3 4 5\n",		/* 9 fields */
		SCRUB_HDR "0 0 0 x 0 2 3 4\n",
		SCRUB_HDR "0 1 0 1 0 2 3 4\n",		/* status > 0 */
		SCRUB_HDR "1 0 0 1 0 2 3 4\n1 0 0 1 0 2 3 4\n", /* order */
		SCRUB_HDR "\n",
	};
	bnn_scrub_tile *t = (bnn_scrub_tile *)1;
	size_t n = 7, i;
	long failed = 5;
	bnn_error e;

	(void)state;
	assert_int_equal(bnn__scrub_parse(SCRUB_HDR, &t, &n, &failed, &e),
			 BNN_OK);
	assert_null(t);
	assert_int_equal(n, 0);
	assert_int_equal(failed, -1);

	assert_int_equal(bnn__scrub_parse(SCRUB_HDR
			 "0 0 0 17 0 131072 220000 1800000\n"
			 "1 0 5 3 2 0 230000 1900000\n"
			 "3 -125 0 0 0 0 0 0\n", &t, &n, &failed, &e), BNN_OK);
	assert_int_equal(n, 3);
	assert_int_equal(failed, 2);
	assert_int_equal(t[0].index, 0);
	assert_int_equal(t[0].status, BNN_OK);
	assert_int_equal(t[0].weak_cells, 17);
	assert_int_equal(t[0].unverified, 0);
	assert_int_equal(t[0].pulses, 131072);
	assert_int_equal(t[0].device_ns, 220000);
	assert_int_equal(t[0].device_energy_pj, 1800000);
	assert_int_equal(t[1].weak_cells, 3);
	assert_int_equal(t[1].unverified, 2);
	assert_int_equal(t[2].index, 3);
	assert_int_equal(t[2].status, BNN_E_DEVICE);
	free(t);
	/* failed may be NULL */
	assert_int_equal(bnn__scrub_parse(SCRUB_HDR "2 0 0 1 0 1 1 1\n", &t,
					  &n, NULL, &e), BNN_OK);
	assert_int_equal(n, 1);
	free(t);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = (bnn_scrub_tile *)1;
		n = 7;
		assert_int_equal(bnn__scrub_parse(bad[i], &t, &n, &failed, &e),
				 BNN_E_PARSE);
		assert_null(t);
		assert_int_equal(n, 0);
		assert_non_null(strstr(e.msg, "scrub report"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_cards),
		cmocka_unit_test(test_backend_without_card),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_null_args),
		cmocka_unit_test(test_gone_card),
		cmocka_unit_test(test_not_rbnn),
		cmocka_unit_test(test_scrub_parse),
	};

	return cmocka_run_group_tests_name("device", tests, NULL, NULL);
}
