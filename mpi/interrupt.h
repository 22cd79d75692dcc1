/* interrupt: stop a long collective stage cleanly on SIGUSR1 or SIGTERM.
 *
 * Slurm sends a signal before the time limit (sbatch --signal=USR1@120) and
 * SIGTERM on preemption or scancel; mpirun forwards SIGUSR1/SIGUSR2 to the
 * ranks. The handler only records the signal (async-signal-safe). A stage
 * polls at its step boundaries: every rank must reach the same decision, so
 * the local flags are combined by a collective — either le_interrupt_agree
 * (one 16-byte MPI_Allreduce) or, for free, folded into a SUM allreduce the
 * stage already does (le_interrupt_fold / le_interrupt_unfold). The stage
 * then saves what it can and returns LE_EXIT_INTERRUPTED, which main()
 * passes on as the process exit status. */
#ifndef LE_INTERRUPT_H
#define LE_INTERRUPT_H

#include <mpi.h>
#include <stdint.h>

/* Exit status of a stage stopped by a signal at a safe point: EX_TEMPFAIL of
 * sysexits.h ("try again later"). Re-running the same command resumes when
 * the stage wrote a checkpoint. */
#define LE_EXIT_INTERRUPTED 75

/* Signals handled: SIGUSR1 and SIGTERM. */
#define LE_INTERRUPT_NSIG 2

/* Install the handlers (sigaction, SA_RESTART), remembering the previous
 * ones; clears the flag. le_interrupt_restore puts the previous ones back.
 * Pairs nest (run around its stages, train inside run): only the outermost
 * pair installs, clears and restores, so a signal that reaches a stage
 * without its own checks is still seen by run after that stage. */
void le_interrupt_install(void);
void le_interrupt_restore(void);

/* This rank's flag: the last signal received since install, or 0. */
int le_interrupt_pending(void);
/* Set the flag as the handler does (tests: a signal at a chosen step). */
void le_interrupt_set(int signo);

/* Collective on comm: *signo = the signal some rank received (SIGTERM
 * before SIGUSR1 when ranks saw different ones), or 0 when none did.
 * Returns 0, or LE_ERR_MPI when the agreement itself failed. */
int le_interrupt_agree(MPI_Comm comm, int *signo);

/* The same agreement folded into a stage's own MPI_Allreduce(SUM) of int64:
 * each rank adds its flag to LE_INTERRUPT_NSIG slots of its buffer before
 * the allreduce (fold), and reads the agreed signal after it (unfold). */
void le_interrupt_fold(int64_t *slots);
int le_interrupt_unfold(const int64_t *slots);

/* "SIGUSR1", "SIGTERM", "signal N". */
const char *le_interrupt_name(int signo);

#endif
