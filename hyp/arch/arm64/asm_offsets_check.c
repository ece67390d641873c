// SPDX-License-Identifier: MIT
/* Build-time check that asm_offsets.h matches the C structures the assembly touches. */
#include "arch/arm64/asm_offsets.h"
#include "core/percpu.h"
#include "core/vcpu.h"

_Static_assert(__builtin_offsetof(struct cpu, hw_id) == CPU_HW_ID, "CPU_HW_ID");
_Static_assert(__builtin_offsetof(struct cpu, stack_top) == CPU_STACK_TOP, "CPU_STACK_TOP");
_Static_assert(CPU_STACK_SIZE == ASM_CPU_STACK_SIZE, "ASM_CPU_STACK_SIZE");
_Static_assert(__builtin_offsetof(struct arm64_guest_ctx, x) == GCTX_X(0), "GCTX_X");
_Static_assert(__builtin_offsetof(struct arm64_guest_ctx, pc) == GCTX_PC, "GCTX_PC");
_Static_assert(__builtin_offsetof(struct arm64_guest_ctx, pstate) == GCTX_PSTATE, "GCTX_PSTATE");
_Static_assert(__builtin_offsetof(struct arm64_guest_ctx, host_x) == GCTX_HOST_X19, "GCTX_HOST");
_Static_assert(__builtin_offsetof(struct arm64_guest_ctx, host_sp) == GCTX_HOST_SP, "GCTX_SP");
_Static_assert(__builtin_offsetof(struct arm64_guest_ctx, esr) == GCTX_ESR, "GCTX_ESR");
_Static_assert(__builtin_offsetof(struct arm64_guest_ctx, far) == GCTX_FAR, "GCTX_FAR");
_Static_assert(__builtin_offsetof(struct arm64_guest_ctx, hpfar) == GCTX_HPFAR, "GCTX_HPFAR");
_Static_assert(sizeof(struct arm64_guest_ctx) == GCTX_SIZE, "GCTX_SIZE");
/* entry.S finds the context at the start of struct vcpu (vcpu.arch.ctx). */
_Static_assert(__builtin_offsetof(struct vcpu, arch) == 0, "vcpu.arch first");
