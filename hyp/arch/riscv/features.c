// SPDX-License-Identifier: MIT
/*
 * Boot-time ISA feature discovery: the host DT's riscv,isa string says what
 * the platform claims, CSR probes say what really works. Each feature is
 * printed on one line; a missing required feature stops boot with one line.
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/riscv.h"
#include "core/console.h"
#include "lib/string.h"

struct riscv_features riscv_feat;

/* Single-letter extension present in "rv64imafdch_..."? */
static bool isa_has_letter(const char *isa, char letter)
{
	if (!isa || strncmp(isa, "rv64", 4) != 0)
		return false;
	for (const char *p = isa + 4; *p && *p != '_'; p++)
		if (*p == letter)
			return true;
	return false;
}

/* Multi-letter extension present as a whole '_'-separated word? */
static bool isa_has_ext(const char *isa, const char *ext)
{
	if (!isa)
		return false;
	size_t n = strlen(ext);
	for (const char *p = strchr(isa, '_'); p; p = strchr(p + 1, '_')) {
		if (strncmp(p + 1, ext, n) == 0 && (p[1 + n] == '_' || p[1 + n] == '\0'))
			return true;
	}
	return false;
}

static bool hgatp_mode_ok(uint64_t mode)
{
	/* hgatp is WARL: an unsupported MODE leaves the whole CSR unchanged. */
	csr_write(hgatp, mode << HGATP_MODE_SHIFT);
	bool ok = (csr_read(hgatp) >> HGATP_MODE_SHIFT) == mode;
	csr_write(hgatp, 0);
	return ok;
}

static const char *yn(bool b)
{
	return b ? "yes" : "no";
}

int riscv_features_probe(const char *isa, uint32_t cboz_block)
{
	struct riscv_features *f = &riscv_feat;
	f->host_isa = isa;
	f->h = riscv_probe_hstatus() == 0;
	if (!f->h) {
		pr_err("boot stopped: the CPU has no H extension (hypervisor support); "
		       "QEMU needs -cpu rv64 (h=on)");
		return -1;
	}
	if (isa && !isa_has_letter(isa, 'h'))
		pr_warn("device tree riscv,isa lacks 'h' but hstatus is accessible");
	f->sstc = isa_has_ext(isa, "sstc") && riscv_probe_stimecmp() == 0;
	f->svpbmt = isa_has_ext(isa, "svpbmt");
	f->svadu = isa_has_ext(isa, "svadu");
	f->ssaia = isa_has_ext(isa, "ssaia");
	f->zicbom = isa_has_ext(isa, "zicbom");
	f->zicboz = isa_has_ext(isa, "zicboz");
	if (f->svpbmt) {
		/* Confirm PBMTE is writable in henvcfg before promising it to guests. */
		csr_set(henvcfg, ENVCFG_PBMTE);
		f->svpbmt = (csr_read(henvcfg) & ENVCFG_PBMTE) != 0;
		csr_clear(henvcfg, ENVCFG_PBMTE);
	}
	if (f->svadu) {
		/* henvcfg.ADUE is read-only zero unless M-mode set menvcfg.ADUE. */
		csr_set(henvcfg, ENVCFG_ADUE);
		f->svadu = (csr_read(henvcfg) & ENVCFG_ADUE) != 0;
		csr_clear(henvcfg, ENVCFG_ADUE);
	}
	/* henvcfg.PMM is WARL: keep the PMLEN values that stick (needs menvcfg/Ssnpm). */
	csr_set(henvcfg, ENVCFG_PMM_7);
	f->pmm7 = (csr_read(henvcfg) & ENVCFG_PMM) == ENVCFG_PMM_7;
	csr_clear(henvcfg, ENVCFG_PMM);
	csr_set(henvcfg, ENVCFG_PMM_16);
	f->pmm16 = (csr_read(henvcfg) & ENVCFG_PMM) == ENVCFG_PMM_16;
	csr_clear(henvcfg, ENVCFG_PMM);
	/*
	 * cbo.zero lets the hypervisor clear guest RAM a cache block per
	 * instruction; usable only if M-mode enabled it (menvcfg.CBZE), so
	 * try it once on a block of our own stack.
	 */
	if (f->zicboz && cboz_block >= 16 && cboz_block <= 4096 &&
	    (cboz_block & (cboz_block - 1)) == 0) {
		static uint8_t probe[4096] __attribute__((aligned(4096)));
		if (riscv_probe_cbo_zero(probe) == 0)
			f->cboz_block = cboz_block;
	}
	f->sv39x4 = hgatp_mode_ok(HGATP_MODE_SV39X4);
	f->sv48x4 = hgatp_mode_ok(HGATP_MODE_SV48X4);
	f->sv57x4 = hgatp_mode_ok(HGATP_MODE_SV57X4);
	csr_write(hgatp, HGATP_VMID_MASK);
	uint64_t vmid = (csr_read(hgatp) & HGATP_VMID_MASK) >> HGATP_VMID_SHIFT;
	csr_write(hgatp, 0);
	f->vmid_bits = 0;
	while (vmid & 1) {
		f->vmid_bits++;
		vmid >>= 1;
	}
	csr_write(hgeie, ~0UL);
	uint64_t geie = csr_read(hgeie);
	csr_write(hgeie, 0);
	f->geilen = 0;
	for (unsigned i = 1; i < 64; i++)
		if (geie & BIT(i))
			f->geilen++;

	pr_info("isa: %s", isa ? isa : "(no riscv,isa in device tree)");
	pr_info("feature H (hypervisor): yes");
	pr_info("feature Sstc (supervisor timecmp): %s", yn(f->sstc));
	pr_info("feature Svpbmt (page-based memory types): %s", yn(f->svpbmt));
	pr_info("feature Svadu (hardware A/D updates): %s", yn(f->svadu));
	pr_info("feature Ssnpm (guest pointer masking): PMLEN 7 %s, PMLEN 16 %s", yn(f->pmm7),
	        yn(f->pmm16));
	pr_info("feature AIA (Ssaia): %s, guest interrupt files (GEILEN): %u", yn(f->ssaia),
	        f->geilen);
	pr_info("feature Zicboz (cbo.zero for page clearing): %s", yn(f->cboz_block != 0));
	pr_info("feature VMID bits: %u", f->vmid_bits);
	pr_info("feature hgatp modes: Sv39x4 %s, Sv48x4 %s, Sv57x4 %s", yn(f->sv39x4),
	        yn(f->sv48x4), yn(f->sv57x4));
	if (!f->sv39x4 && !f->sv48x4) {
		pr_err("boot stopped: hgatp supports neither Sv39x4 nor Sv48x4");
		return -1;
	}
	riscv_vpmu_probe_host();
	return 0;
}
