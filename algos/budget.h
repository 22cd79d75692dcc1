/* budget: how many labels each round of the labeling asks for, and when the
 * rounds stop (docs/labeling.md "Budget and stopping rule"). No MPI.
 *
 * Two kinds of budget:
 *  - the default follows behaviours, not traces: a fixed first round, then
 *    active-learning rounds of a fixed size until the labels are stable (the
 *    last round's labels moved less than a share of the traces labelled
 *    abnormal, and the person gave most of its picks the label suggested to
 *    them) or a cap on the labels is reached. It does not grow with N:
 *    more traffic with the same behaviours needs the same labels;
 *  - a fixed budget K (--budget K, or --budget-share X: the paper's 0.1% is
 *    0.001) spread over R rounds: round 1 picks K less round(0.4 K), the
 *    later rounds the rest (le_round_budget). */
#ifndef LE_BUDGET_H
#define LE_BUDGET_H

#include <stdint.h>

/* Active-learning rounds (docs/labeling.md "Rounds"): a labeling budget of
 * K labels spread over R rounds. Round 1 picks K less the later rounds'
 * share, round(LE_LATER_ROUNDS_SHARE K) when R > 1; round r >= 2 picks
 * what is left after the `given` labels so far, spread evenly over the
 * rounds still to come (all of it from round R on); 0 when it is spent. */
#define LE_ROUNDS_DEFAULT 2
#define LE_LATER_ROUNDS_SHARE 0.4
int64_t le_round_budget(int64_t K, int R, int r, int64_t given);

/* The default budget, chosen by measurement (docs/labeling.md). */
#define LE_FIRST_ROUND_DEFAULT 100
#define LE_ROUND_PICKS_DEFAULT 30
#define LE_MAX_LABELS_DEFAULT 400
#define LE_STABLE_DEFAULT 0.01
/* Stable also needs the last round's picks to have been labelled as
 * suggested: while the person corrects this share of them or more, the
 * labels are still being learnt, however little one small round moved them
 * (a month of faults: 30 picks moved 0.5% while a third were corrected). */
#define LE_DISAGREE_DEFAULT 0.1
#define LE_STABLE_ROUNDS_DEFAULT 10
/* The default budget's later rounds draw their uncertain pool from a sample
 * of this many traces at any N (10% of the 130,363-trace corpus the rounds
 * were tuned on), not a share: a share grows the sample with N, and the pool
 * of the 20 k least certain of a ten times larger sample is ten times more
 * extreme (boundary noise): at 1.3e6 traces F1 stayed at 0.989 with 100 +
 * 30 r labels, 0.993-0.995 with this sample (docs/labeling.md). */
#define LE_ROUND_SAMPLE_TRACES 13000
/* --budget-share X: K = round(X N), at least this many */
#define LE_BUDGET_SHARE_FLOOR 10

typedef struct le_budget {
    int64_t fixed;      /* > 0: a fixed budget of K labels; 0: the default */
    int rounds;         /* fixed: the rounds K is spread over; default: the most rounds */
    int64_t first;      /* default: round 1's picks */
    int64_t per_round;  /* default: each later round's picks */
    int64_t max_labels; /* default: labels in all, every round included */
    double stable;      /* default: stop when the last round moved less than this share */
    double disagree;    /* ... and under this share of its picks got another label than suggested */
} le_budget;

/* The default budget (rounds: LE_STABLE_ROUNDS_DEFAULT). */
void le_budget_default(le_budget *b);

/* K of --budget-share X on N traces: round(X N), at least LE_BUDGET_SHARE_FLOOR. */
int64_t le_budget_of_share(double share, int64_t N);

/* Picks of round r (1, 2, ...) after `given` labels; 0 when nothing is left. */
int64_t le_budget_picks(const le_budget *b, int r, int64_t given);

/* Why round r stops the labeling before it picks anything. */
typedef enum le_stop {
    LE_STOP_NONE = 0,
    LE_STOP_STABLE,     /* the last round moved less than b->stable of the labels, its picks agreed */
    LE_STOP_MAX_LABELS, /* given >= b->max_labels */
    LE_STOP_ROUNDS,     /* r > b->rounds */
} le_stop;

/* The default budget's rule for round r >= 2, given labels so far, the
 * share the last round's labels moved (le_changed_share; < 0: unknown, as
 * before round 3, when round 1 had nothing to move) and the share of its
 * picks labelled otherwise than suggested (< 0: unknown). A fixed budget
 * never stops here (a spent one is select's error). */
le_stop le_budget_stop(const le_budget *b, int r, int64_t given, double changed_share, double disagreed_share);

/* "stable", "max-labels", "rounds" ("no" for LE_STOP_NONE): the report's word. */
const char *le_stop_name(le_stop s);

/* The share of traces the last round moved: traces whose label changed over
 * the traces labelled abnormal before or after it (1 - Jaccard of the two
 * abnormal sets, so it does not depend on how rare faults are); 0 when
 * neither labels any trace abnormal. */
double le_changed_share(int64_t changed, int64_t abnormal_either);

/* Counts for le_changed_share over n traces labelled a before and b after. */
void le_changed_count(const int8_t *a, const int8_t *b, int64_t n, int64_t *changed, int64_t *abnormal_either);

#endif
