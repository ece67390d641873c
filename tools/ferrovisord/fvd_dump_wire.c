// SPDX-License-Identifier: MIT
/* DUMP_INFO decoding (see fvd_dump_wire.h). */
#include "fvd_dump_wire.h"

#include <string.h>

#include "core/ctl_proto.h"

_Static_assert(FVD_DUMP_NR_REGS == CTL_DUMP_NR_REGS && FVD_DUMP_CHUNK == CTL_DUMP_CHUNK,
               "dump layout of the backend and the protocol");

static const enum fvd_state wire_states[] = {
    [CTL_VM_STOPPED] = FVD_VM_STOPPED,     [CTL_VM_RUNNING] = FVD_VM_RUNNING,
    [CTL_VM_STOPPING] = FVD_VM_STOPPING,   [CTL_VM_CRASHED] = FVD_VM_CRASHED,
    [CTL_VM_SUSPENDED] = FVD_VM_SUSPENDED, [CTL_VM_PAUSED] = FVD_VM_PAUSED,
};

int fvd_dump_info_decode(const uint8_t *p, size_t len, struct fvd_dump_info *out)
{
	if (len < sizeof(struct ctl_dump_info))
		return FVD_E_IO;
	uint32_t st = ctl_get32(p + 4), nv = ctl_get32(p + 8), nr = ctl_get32(p + 12);
	if (nv > FVD_DUMP_MAX_VCPUS || nr > FVD_DUMP_MAX_REGION ||
	    st >= sizeof(wire_states) / sizeof(wire_states[0]) ||
	    len != sizeof(struct ctl_dump_info) + nr * sizeof(struct ctl_dump_region) +
	               nv * sizeof(struct ctl_dump_vcpu))
		return FVD_E_IO;
	memset(out, 0, sizeof(*out));
	out->state = wire_states[st];
	out->boots = ctl_get64(p + 16);
	memcpy(out->name, p + 24, FVD_NAME_MAX);
	memcpy(out->cause, p + 56, sizeof(out->cause) - 1);
	out->nr_regions = nr;
	out->nr_vcpus = nv;
	const uint8_t *q = p + sizeof(struct ctl_dump_info);
	for (uint32_t i = 0; i < nr; i++, q += sizeof(struct ctl_dump_region)) {
		out->region[i].gpa = ctl_get64(q);
		out->region[i].size = ctl_get64(q + 8);
	}
	for (uint32_t i = 0; i < nv; i++, q += sizeof(struct ctl_dump_vcpu)) {
		out->vcpu[i].index = ctl_get32(q);
		out->vcpu[i].state = ctl_get32(q + 4);
		for (unsigned r = 0; r < FVD_DUMP_NR_REGS; r++)
			out->vcpu[i].reg[r] = ctl_get64(q + 8 + 8 * r);
	}
	return FVD_OK;
}
