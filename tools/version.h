/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_VERSION_H
#define FV_TOOLS_VERSION_H

/* Version of the `ferrovisor` tool; the build may pass -DFV_TOOL_VERSION='"..."'. */
#ifndef FV_TOOL_VERSION
#define FV_TOOL_VERSION "0.1.0"
#endif

#endif
