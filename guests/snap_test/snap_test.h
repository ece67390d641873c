/* SPDX-License-Identifier: MIT */
#ifndef SNAP_TEST_H
#define SNAP_TEST_H

#include <stdint.h>

/*
 * The snapshot checks of the service VM (snap_test.c), on the device tree @dtb (its
 * /chosen: initrd and bootargs) with the control channel's virtio-console at @ctl_base.
 * Ends the guest (test_finish).
 */
void snap_test_run(unsigned long dtb, uint64_t ctl_base);

#endif
