/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_FAKE_PLATFORM_H
#define FV_ARCH_FAKE_PLATFORM_H

/* The fake architecture's part of struct platform: nothing beyond core's fields. */
struct platform_arch {
	int unused;
};

#endif
