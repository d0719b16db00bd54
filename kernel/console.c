/* SPDX-License-Identifier: MIT */
/*
 * The 16550 UART on COM1: the only console. Output is polled: with the
 * FIFOs on, THRE in the line status means the whole 16-byte transmit FIFO
 * is empty, so one status read allows 16 bytes (as Linux's 8250 driver
 * loads tx_loadsz at a time). Under emulation every port access is an exit
 * into QEMU; this halves them, which counts at boot, where the report is
 * most of what the kernel does.
 */
#include "kernel/console.h"
#include "kernel/cpu.h"

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

void console_init(void)
{
	outb(COM1 + UART_IER, 0); /* polled: no UART interrupts */
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, 1); /* 115200 baud */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
	outb(COM1 + UART_MCR, MCR_DTR_RTS);
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

void console_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			console_putc('\r');
		console_putc(s[i]);
	}
}
