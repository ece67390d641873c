/* SPDX-License-Identifier: MIT */
/*
 * ns16550A UART model. Register semantics follow the 16550A data sheet:
 * DLAB banks DLL/DLM over RBR/THR and IER; IIR reports the highest-priority
 * pending source (line status > RX data / timeout > THR empty > modem
 * status); THRE is acknowledged by reading IIR while it is the reported
 * source or by writing THR; LSR and MSR reads clear their sticky bits.
 */
#include "vdev/vuart.h"

#define FIFO_MASK    (VUART_FIFO_SIZE - 1)
#define LSR_ERR_MASK (VUART_LSR_OE | VUART_LSR_PE | VUART_LSR_FE | VUART_LSR_BI)
#define MSR_DELTAS   (VUART_MSR_DCTS | VUART_MSR_DDSR | VUART_MSR_TERI | VUART_MSR_DDCD)
#define FCR_STORED   (VUART_FCR_ENABLE | VUART_FCR_DMA | VUART_FCR_TRIG)

static bool fifo_enabled(const struct vuart *u)
{
	return (u->fcr & VUART_FCR_ENABLE) != 0;
}

static bool loopback(const struct vuart *u)
{
	return (u->mcr & VUART_MCR_LOOP) != 0;
}

/* Without FIFOs the 16550 behaves like a 16450: one receive holding byte. */
static unsigned rx_capacity(const struct vuart *u)
{
	return fifo_enabled(u) ? VUART_FIFO_SIZE : 1;
}

/* Clamped so that a corrupted snapshot cannot index past the ring. */
static unsigned rx_count(const struct vuart *u)
{
	return MIN(u->rx_count, rx_capacity(u));
}

static unsigned rx_trigger(const struct vuart *u)
{
	static const uint8_t levels[4] = {1, 4, 8, 14};

	return levels[(u->fcr >> 6) & 0x3];
}

static void rx_clear(struct vuart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

static bool rx_enqueue(struct vuart *u, uint8_t c)
{
	unsigned n = rx_count(u);

	if (n >= rx_capacity(u)) {
		/* Overrun: the new byte is lost, the FIFO is not overwritten. */
		u->lsr_err |= VUART_LSR_OE;
		return false;
	}
	u->rx_fifo[(u->rx_head + n) & FIFO_MASK] = c;
	u->rx_count = (uint8_t)(n + 1);
	return true;
}

static uint8_t rx_pop(struct vuart *u)
{
	unsigned n = rx_count(u);
	uint8_t c;

	/* Reading an empty RBR is harmless; return 0 rather than stale data. */
	if (n == 0)
		return 0;
	c = u->rx_fifo[u->rx_head & FIFO_MASK];
	u->rx_head = (uint8_t)((u->rx_head + 1) & FIFO_MASK);
	u->rx_count = (uint8_t)(n - 1);
	return c;
}

/*
 * Modem status inputs (MSR bits 7:4). In loopback they are wired to the MCR
 * outputs as the data sheet specifies (RTS->CTS, DTR->DSR, OUT1->RI,
 * OUT2->DCD); otherwise a ready terminal is attached.
 */
static uint8_t modem_inputs(const struct vuart *u)
{
	uint8_t in = 0;

	if (!loopback(u))
		return VUART_MSR_CTS | VUART_MSR_DSR | VUART_MSR_DCD;
	if (u->mcr & VUART_MCR_RTS)
		in |= VUART_MSR_CTS;
	if (u->mcr & VUART_MCR_DTR)
		in |= VUART_MSR_DSR;
	if (u->mcr & VUART_MCR_OUT1)
		in |= VUART_MSR_RI;
	if (u->mcr & VUART_MCR_OUT2)
		in |= VUART_MSR_DCD;
	return in;
}

/* Highest-priority enabled and pending interrupt source (IIR bits 3:0). */
static uint8_t iir_source(const struct vuart *u)
{
	unsigned n = rx_count(u);

	if ((u->ier & VUART_IER_ELSI) && (u->lsr_err & LSR_ERR_MASK))
		return VUART_IIR_RLSI;
	if ((u->ier & VUART_IER_ERBFI) && n > 0) {
		/* The character timeout is modelled as already expired. */
		if (fifo_enabled(u) && n < rx_trigger(u))
			return VUART_IIR_CTI;
		return VUART_IIR_RDI;
	}
	if ((u->ier & VUART_IER_ETBEI) && u->thre_pending)
		return VUART_IIR_THRI;
	if ((u->ier & VUART_IER_EDSSI) && (u->msr_delta & MSR_DELTAS))
		return VUART_IIR_MSI;
	return VUART_IIR_NO_INT;
}

bool vuart_irq_pending(const struct vuart *u)
{
	return iir_source(u) != VUART_IIR_NO_INT;
}

/* Report the interrupt level to the owner if it changed. */
static void irq_sync(struct vuart *u)
{
	bool level = vuart_irq_pending(u);

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	if (u->ops && u->ops->irq_update)
		u->ops->irq_update(u->ctx, level);
}

static void reset_state(struct vuart *u)
{
	for (unsigned i = 0; i < VUART_FIFO_SIZE; i++)
		u->rx_fifo[i] = 0;
	rx_clear(u);
	u->ier = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->fcr = 0;
	u->scr = 0;
	u->dll = 0;
	u->dlm = 0;
	u->lsr_err = 0;
	u->msr_delta = 0;
	u->thre_pending = false;
}

void vuart_init(struct vuart *u, const struct vuart_ops *ops, void *ctx)
{
	reset_state(u);
	u->irq_level = false;
	u->ops = ops;
	u->ctx = ctx;
}

void vuart_reset(struct vuart *u)
{
	reset_state(u);
	irq_sync(u);
}

static uint8_t lsr_value(const struct vuart *u)
{
	uint8_t lsr = VUART_LSR_THRE | VUART_LSR_TEMT;

	if (rx_count(u) > 0)
		lsr |= VUART_LSR_DR;
	return lsr | (u->lsr_err & LSR_ERR_MASK);
}

static uint8_t reg_read(struct vuart *u, unsigned reg)
{
	bool dlab = (u->lcr & VUART_LCR_DLAB) != 0;
	uint8_t v;

	switch (reg) {
	case VUART_RBR:
		return dlab ? u->dll : rx_pop(u);
	case VUART_IER:
		return dlab ? u->dlm : u->ier;
	case VUART_IIR:
		v = iir_source(u);
		/* Reading IIR acknowledges THRE only when THRE is what it reports. */
		if (v == VUART_IIR_THRI)
			u->thre_pending = false;
		return (uint8_t)(v | (fifo_enabled(u) ? VUART_IIR_FIFOS : 0));
	case VUART_LCR:
		return u->lcr;
	case VUART_MCR:
		return u->mcr;
	case VUART_LSR:
		v = lsr_value(u);
		u->lsr_err = 0;
		return v;
	case VUART_MSR:
		v = (uint8_t)(modem_inputs(u) | (u->msr_delta & MSR_DELTAS));
		u->msr_delta = 0;
		return v;
	default: /* VUART_SCR */
		return u->scr;
	}
}

static void thr_write(struct vuart *u, uint8_t c)
{
	/*
	 * Writing THR acknowledges THRE, and since the byte leaves at once
	 * THR is empty again: net effect, THRE is (re)latched.
	 */
	u->thre_pending = true;
	if (loopback(u))
		(void)rx_enqueue(u, c);
	else if (u->ops && u->ops->tx)
		u->ops->tx(u->ctx, c);
}

static void ier_write(struct vuart *u, uint8_t v)
{
	uint8_t old = u->ier;

	u->ier = v & VUART_IER_MASK;
	/* Enabling ETBEI with THR empty raises THRE (drivers rely on this to kick TX). */
	if (!(old & VUART_IER_ETBEI) && (u->ier & VUART_IER_ETBEI))
		u->thre_pending = true;
}

static void fcr_write(struct vuart *u, uint8_t v)
{
	/* Changing the FIFO enable bit clears the FIFOs. */
	if (!(v & VUART_FCR_ENABLE)) {
		if (fifo_enabled(u))
			rx_clear(u);
		u->fcr = 0;
		return;
	}
	if (!fifo_enabled(u) || (v & VUART_FCR_CLEAR_RX))
		rx_clear(u);
	/* CLEAR_TX has nothing to do: there is no TX FIFO to hold bytes. */
	u->fcr = v & FCR_STORED;
}

static void mcr_write(struct vuart *u, uint8_t v)
{
	uint8_t before = modem_inputs(u), after, changed;

	u->mcr = v & VUART_MCR_MASK;
	after = modem_inputs(u);
	changed = before ^ after;
	if (changed & VUART_MSR_CTS)
		u->msr_delta |= VUART_MSR_DCTS;
	if (changed & VUART_MSR_DSR)
		u->msr_delta |= VUART_MSR_DDSR;
	if (changed & VUART_MSR_DCD)
		u->msr_delta |= VUART_MSR_DDCD;
	/* TERI flags the trailing edge of RI only (1 -> 0). */
	if ((before & VUART_MSR_RI) && !(after & VUART_MSR_RI))
		u->msr_delta |= VUART_MSR_TERI;
}

static void reg_write(struct vuart *u, unsigned reg, uint8_t v)
{
	bool dlab = (u->lcr & VUART_LCR_DLAB) != 0;

	switch (reg) {
	case VUART_THR:
		if (dlab)
			u->dll = v;
		else
			thr_write(u, v);
		break;
	case VUART_IER:
		if (dlab)
			u->dlm = v;
		else
			ier_write(u, v);
		break;
	case VUART_FCR:
		fcr_write(u, v);
		break;
	case VUART_LCR:
		u->lcr = v;
		break;
	case VUART_MCR:
		mcr_write(u, v);
		break;
	case VUART_LSR:
	case VUART_MSR:
		/* Read-only here (factory test on real parts): ignore. */
		break;
	default: /* VUART_SCR */
		u->scr = v;
		break;
	}
}

static int check_access(uint64_t offset, unsigned width)
{
	if (width != 1 && width != 2 && width != 4 && width != 8)
		return -FV_EINVAL;
	if (offset >= VUART_MMIO_SIZE)
		return -FV_ERANGE;
	return 0;
}

int vuart_read(struct vuart *u, uint64_t offset, unsigned width, uint64_t *val)
{
	int ret;

	if (!val)
		return -FV_EINVAL;
	/*
	 * Reads that change nothing (vuart_read_quiet) skip the interrupt
	 * recomputation: every change syncs the level (irq_sync after each
	 * mutator), so only a read that clears something can lower it.
	 */
	if (vuart_read_quiet(u, offset, width, val))
		return 0;
	*val = 0;
	ret = check_access(offset, width);
	if (ret < 0)
		return ret;
	*val = reg_read(u, (unsigned)offset);
	irq_sync(u);
	return 0;
}

int vuart_write(struct vuart *u, uint64_t offset, unsigned width, uint64_t val)
{
	int ret = check_access(offset, width);

	if (ret < 0)
		return ret;
	reg_write(u, (unsigned)offset, (uint8_t)val);
	irq_sync(u);
	return 0;
}

bool vuart_rx_push(struct vuart *u, uint8_t c)
{
	bool ok;

	if (loopback(u))
		return false;
	ok = rx_enqueue(u, c);
	irq_sync(u);
	return ok;
}

size_t vuart_rx_space(const struct vuart *u)
{
	if (loopback(u))
		return 0;
	return rx_capacity(u) - rx_count(u);
}
