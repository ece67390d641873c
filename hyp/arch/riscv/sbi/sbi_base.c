// SPDX-License-Identifier: MIT
/* SBI Base extension (EID 0x10), SBI spec v2.0 chapter 4. */
#include "arch/riscv/sbi/sbi_ext.h"

void sbi_base_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r)
{
	(void)v;
	switch (fid) {
	case 0: /* get_spec_version */
		r->value = (long)SBI_SPEC_VERSION;
		break;
	case 1: /* get_impl_id */
		r->value = (long)SBI_IMPL_ID_FV;
		break;
	case 2: /* get_impl_version */
		r->value = (long)SBI_IMPL_VERSION;
		break;
	case 3: /* probe_extension */
		r->value = sbi_index_find(&sbi_guest_index, a[0]) ? 1 : 0;
		break;
	case 4: /* get_mvendorid: a virtual machine has no JEDEC vendor */
	case 5: /* get_marchid */
	case 6: /* get_mimpid */
		r->value = 0;
		break;
	default:
		r->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
}
