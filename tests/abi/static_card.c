// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * static_card.c - a program linked with libbnn the way its users do
 * (pkg-config --cflags --libs [--static] libbnn) that asks for the card
 * backend: tests/abi/check-abi.sh checks that a static link keeps it.
 * Prints "rbnn: present" when the backend is in the program (a card may
 * or may not be there: both are fine), "rbnn: missing" when the library's
 * weak reference found nothing; exit 0 / 1 accordingly, 2 on other errors.
 */
#include <stdio.h>
#include <string.h>

#include <bnn.h>

int main(void)
{
	bnn_backend *be = NULL;
	bnn_error e;
	int rc;

	if (strcmp(bnn_version(), "0.1.0")) {
		fprintf(stderr, "libbnn %s\n", bnn_version());
		return 2;
	}
	rc = bnn_backend_open(BNN_BACKEND_RBNN, NULL, &be, &e);
	if (rc == BNN_OK) {
		bnn_backend_close(be);
		puts("rbnn: present (a card is open)");
		return 0;
	}
	if (rc == BNN_E_NODEV && strstr(e.msg, "not built")) {
		printf("rbnn: missing (%s)\n", e.msg);
		return 1;
	}
	printf("rbnn: present (%s: %s)\n", bnn_strerror(rc), e.msg);
	return 0;
}
