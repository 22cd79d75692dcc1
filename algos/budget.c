/* budget: labels a round asks for, and when the rounds stop (budget.h). */
#include "budget.h"

#include <math.h>

int64_t le_round_budget(int64_t K, int R, int r, int64_t given)
{
    if (r <= 1) return R > 1 ? K - llround(LE_LATER_ROUNDS_SHARE * (double)K) : K;
    int64_t left = K - given, rounds_left = R - r + 1 > 1 ? R - r + 1 : 1;
    return left > 0 ? (left + rounds_left - 1) / rounds_left : 0;
}

void le_budget_default(le_budget *b)
{
    *b = (le_budget){.fixed = 0,
                     .rounds = LE_STABLE_ROUNDS_DEFAULT,
                     .first = LE_FIRST_ROUND_DEFAULT,
                     .per_round = LE_ROUND_PICKS_DEFAULT,
                     .max_labels = LE_MAX_LABELS_DEFAULT,
                     .stable = LE_STABLE_DEFAULT,
                     .disagree = LE_DISAGREE_DEFAULT};
}

int64_t le_budget_of_share(double share, int64_t N)
{
    int64_t K = llround(share * (double)N);
    return K < LE_BUDGET_SHARE_FLOOR ? LE_BUDGET_SHARE_FLOOR : K;
}

int64_t le_budget_picks(const le_budget *b, int r, int64_t given)
{
    if (b->fixed) return le_round_budget(b->fixed, b->rounds, r, given);
    int64_t want = r <= 1 ? b->first : b->per_round, left = b->max_labels - given;
    if (left < 0) left = 0;
    return want < left ? want : left;
}

le_stop le_budget_stop(const le_budget *b, int r, int64_t given, double changed_share, double disagreed_share)
{
    if (b->fixed || r <= 1) return LE_STOP_NONE;
    if (r > b->rounds) return LE_STOP_ROUNDS;
    if (given >= b->max_labels) return LE_STOP_MAX_LABELS;
    if (changed_share >= 0 && changed_share < b->stable && disagreed_share < b->disagree) return LE_STOP_STABLE;
    return LE_STOP_NONE;
}

const char *le_stop_name(le_stop s)
{
    switch (s) {
    case LE_STOP_STABLE: return "stable";
    case LE_STOP_MAX_LABELS: return "max-labels";
    case LE_STOP_ROUNDS: return "rounds";
    default: return "no";
    }
}

double le_changed_share(int64_t changed, int64_t abnormal_either)
{
    return abnormal_either > 0 ? (double)changed / (double)abnormal_either : 0;
}

void le_changed_count(const int8_t *a, const int8_t *b, int64_t n, int64_t *changed, int64_t *abnormal_either)
{
    int64_t c = 0, u = 0;
    for (int64_t i = 0; i < n; i++) c += a[i] != b[i], u += a[i] > 0 || b[i] > 0;
    *changed = c, *abnormal_either = u;
}
