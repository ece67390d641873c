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

/* A cache-block size Linux and the CMO spec accept: a power of two, 16 B to a page. */
static bool cbo_block_ok(uint32_t b)
{
	return b >= 16 && b <= 4096 && (b & (b - 1)) == 0;
}

/* Whether henvcfg keeps all of bits (WARL: an extension's enable bits may be read-only 0). */
static bool henvcfg_holds(uint64_t bits)
{
	csr_set(henvcfg, bits);
	bool ok = (csr_read(henvcfg) & bits) == bits;
	csr_clear(henvcfg, bits);
	return ok;
}

/*
 * Widest VS-stage mode: vsatp is WARL and a write with an unsupported MODE
 * leaves it unchanged (priv spec "Hypervisor ... vsatp"). V=0 here, so the
 * write has no effect on translation.
 */
static unsigned vsatp_widest_mode(void)
{
	static const unsigned long modes[] = {SATP_MODE_SV57, SATP_MODE_SV48, SATP_MODE_SV39};
	unsigned mode = 0;

	for (size_t i = 0; i < ARRAY_SIZE(modes) && !mode; i++) {
		csr_write(vsatp, modes[i] << SATP_MODE_SHIFT);
		if ((csr_read(vsatp) >> SATP_MODE_SHIFT) == modes[i])
			mode = (unsigned)modes[i];
	}
	csr_write(vsatp, 0);
	return mode;
}

/*
 * Zicbom/Zicbop/Zicboz as offered to VMs: the host DT must list the
 * extension with a valid block size (Linux ignores it without one), and
 * for the two with enable bits the instruction must work in HS (M-mode set
 * menvcfg) and henvcfg must keep the bit, or a guest would take illegal-
 * instruction traps for an extension its device tree promised.
 */
static void probe_cbo(struct riscv_features *f, const struct riscv_cpu_hints *h)
{
	static uint8_t probe[4096] __attribute__((aligned(4096)));

	if (isa_has_ext(h->isa, "zicbom") && cbo_block_ok(h->cbom_block) &&
	    riscv_probe_cbo_flush(probe) == 0 && henvcfg_holds(ENVCFG_CBIE | ENVCFG_CBCFE)) {
		f->zicbom = true;
		f->cbom_block = h->cbom_block;
	}
	if (isa_has_ext(h->isa, "zicbop") && cbo_block_ok(h->cbop_block))
		f->cbop_block = h->cbop_block;
	/* cbo.zero also lets the hypervisor clear guest RAM a cache block per instruction. */
	if (isa_has_ext(h->isa, "zicboz") && cbo_block_ok(h->cboz_block) &&
	    riscv_probe_cbo_zero(probe) == 0) {
		f->cboz_block = h->cboz_block;
		f->zicboz = henvcfg_holds(ENVCFG_CBZE);
	}
}

int riscv_features_probe(const struct riscv_cpu_hints *hints)
{
	struct riscv_features *f = &riscv_feat;
	const char *isa = hints->isa;
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
	if (f->svpbmt) {
		/* Confirm PBMTE is writable in henvcfg before promising it to guests. */
		f->svpbmt = henvcfg_holds(ENVCFG_PBMTE);
	}
	if (f->svadu) {
		/* henvcfg.ADUE is read-only zero unless M-mode set menvcfg.ADUE. */
		f->svadu = henvcfg_holds(ENVCFG_ADUE);
	}
	/* henvcfg.PMM is WARL: keep the PMLEN values that stick (needs menvcfg/Ssnpm). */
	csr_set(henvcfg, ENVCFG_PMM_7);
	f->pmm7 = (csr_read(henvcfg) & ENVCFG_PMM) == ENVCFG_PMM_7;
	csr_clear(henvcfg, ENVCFG_PMM);
	csr_set(henvcfg, ENVCFG_PMM_16);
	f->pmm16 = (csr_read(henvcfg) & ENVCFG_PMM) == ENVCFG_PMM_16;
	csr_clear(henvcfg, ENVCFG_PMM);
	probe_cbo(f, hints);
	f->vsatp_mode = vsatp_widest_mode();
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
	pr_info("feature Zicboz (cbo.zero for page clearing): %s, for VMs: %s",
	        yn(f->cboz_block != 0), yn(f->zicboz));
	pr_info("feature Zicbom for VMs: %s (block %u), Zicbop for VMs: %s (block %u)",
	        yn(f->zicbom), f->cbom_block, yn(f->cbop_block != 0), f->cbop_block);
	pr_info("feature VS-stage widest mode: %s", f->vsatp_mode == SATP_MODE_SV57   ? "sv57"
	                                            : f->vsatp_mode == SATP_MODE_SV48 ? "sv48"
	                                            : f->vsatp_mode == SATP_MODE_SV39 ? "sv39"
	                                                                              : "none");
	pr_info("feature VMID bits: %u", f->vmid_bits);
	pr_info("feature hgatp modes: Sv39x4 %s, Sv48x4 %s, Sv57x4 %s", yn(f->sv39x4),
	        yn(f->sv48x4), yn(f->sv57x4));
	if (!f->vsatp_mode) {
		pr_err("boot stopped: vsatp supports none of Sv39, Sv48, Sv57");
		return -1;
	}
	if (!f->sv39x4 && !f->sv48x4) {
		pr_err("boot stopped: hgatp supports neither Sv39x4 nor Sv48x4");
		return -1;
	}
	riscv_vpmu_probe_host();
	return 0;
}
