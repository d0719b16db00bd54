/* SPDX-License-Identifier: MIT */
/*
 * The 16550 UART on COM1: the only console. Output is polled: with the
 * FIFOs on, THRE in the line status means the whole 16-byte transmit FIFO
 * is empty, so one status read allows 16 bytes (as Linux's 8250 driver
 * loads tx_loadsz at a time). Under emulation every port access is an exit
 * into QEMU; this halves them, which counts at boot, where the report is
 * most of what the kernel does.
 *
 * Even so, a byte costs about 5 us under TCG (an exit into QEMU, its big
 * lock, and a write(2) of that one byte to the serial back end), so the
 * 2 KB a boot prints before its first I/O cost about 4 ms of a 25 ms boot.
 * The console therefore holds its output back from console_init until
 * the run's first I/O has completed (console_flush): the lines come out
 * in the same order, a few milliseconds later. Any way out of the kernel
 * (the RESULT line, a panic) flushes first, and a boot that has not
 * completed an I/O within PRINTK_HOLD_MAX_NS writes out what it holds from
 * the tick (kernel/printk.c), so a boot that hangs and is killed from
 * outside still shows how far it got; only a triple fault in that window
 * loses what is held.
 */
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/string.h"

#define COM1 0x3f8
#define UART_THR 0 /* transmit holding register */
#define UART_IER 1 /* interrupt enable */
#define UART_DLL 0 /* divisor latch, low (DLAB=1) */
#define UART_DLM 1 /* divisor latch, high (DLAB=1) */
#define UART_FCR 2 /* FIFO control */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */

#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define LSR_THRE 0x20
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS 0x03
#define UART_TX_FIFO 16

/* Bytes the transmit FIFO still takes before the line status must be read again. */
static unsigned tx_room;

/* Output held back since console_init; a boot prints 2-4 KB before its first I/O. */
#define CONSOLE_HELD_MAX (32 * 1024)
static char held[CONSOLE_HELD_MAX];
static size_t held_len;
static bool holding;

void console_init(void)
{
	outb(COM1 + UART_IER, 0); /* polled: no UART interrupts */
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, 1); /* 115200 baud */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
	outb(COM1 + UART_MCR, MCR_DTR_RTS);
	holding = true;
}

static void console_putc(char c)
{
	int spins = 100000;

	/* A missing UART reads 0xff; give up rather than hang. */
	if (!tx_room) {
		while (!(inb(COM1 + UART_LSR) & LSR_THRE) && --spins)
			cpu_relax();
		tx_room = UART_TX_FIFO;
	}
	outb(COM1 + UART_THR, (u8)c);
	tx_room--;
}

static void uart_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			console_putc('\r');
		console_putc(s[i]);
	}
}

void console_flush(void)
{
	holding = false;
	uart_write(held, held_len);
	held_len = 0;
}

bool console_holding(void)
{
	return READ_ONCE(holding);
}

void console_write(const char *s, size_t len)
{
	if (holding && len <= CONSOLE_HELD_MAX - held_len) {
		memcpy(held + held_len, s, len);
		held_len += len;
		return;
	}
	/* Full: what was held, then this, and no holding back from here on. */
	if (holding)
		console_flush();
	uart_write(s, len);
}
