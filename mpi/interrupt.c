#include "interrupt.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "comm.h"

static volatile sig_atomic_t pending;
static const int handled[LE_INTERRUPT_NSIG] = {SIGTERM, SIGUSR1}; /* slot order = precedence */
static struct sigaction previous[LE_INTERRUPT_NSIG];
static int depth; /* install/restore pairs nest: run holds the handlers, train inside it too */

static void on_signal(int signo) { pending = signo; } /* nothing else: async-signal-safe */

void le_interrupt_install(void)
{
    if (depth++) return; /* nested: keep the handlers and a signal already received */
    pending = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART; /* reads, MPI progress: carry on, we stop at the next step */
    sigemptyset(&sa.sa_mask);
    for (int k = 0; k < LE_INTERRUPT_NSIG; k++) sigaction(handled[k], &sa, &previous[k]);
}

void le_interrupt_restore(void)
{
    if (!depth || --depth) return; /* the outer holder still wants the signal and the flag */
    for (int k = 0; k < LE_INTERRUPT_NSIG; k++) sigaction(handled[k], &previous[k], NULL);
    pending = 0;
}

int le_interrupt_pending(void) { return pending; }
void le_interrupt_set(int signo) { pending = signo; }

static int slot_of(int signo)
{
    for (int k = 0; k < LE_INTERRUPT_NSIG; k++)
        if (handled[k] == signo) return k;
    return LE_INTERRUPT_NSIG - 1; /* anything else set by hand counts as SIGUSR1 */
}

void le_interrupt_fold(int64_t *slots)
{
    const int s = pending;
    if (s) slots[slot_of(s)] += 1;
}

int le_interrupt_unfold(const int64_t *slots)
{
    for (int k = 0; k < LE_INTERRUPT_NSIG; k++)
        if (slots[k] > 0) return handled[k];
    return 0;
}

int le_interrupt_agree(MPI_Comm comm, int *signo)
{
    int64_t slots[LE_INTERRUPT_NSIG] = {0};
    le_interrupt_fold(slots);
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, slots, LE_INTERRUPT_NSIG, MPI_INT64_T, MPI_SUM, comm));
    *signo = le_interrupt_unfold(slots);
    return 0;
}

const char *le_interrupt_name(int signo)
{
    static char buf[32];
    if (signo == SIGUSR1) return "SIGUSR1";
    if (signo == SIGTERM) return "SIGTERM";
    if (signo == SIGUSR2) return "SIGUSR2";
    if (signo == SIGINT) return "SIGINT";
    snprintf(buf, sizeof buf, "signal %d", signo);
    return buf;
}
