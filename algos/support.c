#include "support.h"

#include <math.h>

double le_support_needed(int64_t traffic, double share, double z)
{
    double mu = share * (double)traffic;
    return mu + z * sqrt(mu);
}

double le_support_needed_tail(int64_t traffic, double share, double p)
{
    double mu = share * (double)traffic;
    /* start near the mean: the tail falls below any p > 0 past it */
    int64_t k = (int64_t)mu > 1 ? (int64_t)mu : 1;
    while (le_poisson_sf(k, mu) >= p) k++;
    return (double)k;
}

int64_t le_groups_keep_supported(le_period *part, int64_t *group, double *support, int64_t *traffic, int64_t n, double share,
                                 double z, double p, int64_t min_traces, int64_t *dropped)
{
    int64_t kept = 0, id = -1;
    *dropped = 0;
    for (int64_t k = 0; k < n;) {
        int64_t end = k, cover = 0, count = 0;
        double have = 0;
        for (; end < n && group[end] == group[k]; end++)
            have += support[end], cover += traffic[end], count += part[end].n_traces;
        double need = p > 0 ? le_support_needed_tail(cover, share, p) : le_support_needed(cover, share, z);
        if (count < min_traces || have < need) {
            ++*dropped, k = end;
            continue;
        }
        for (id++; k < end; k++, kept++)
            part[kept] = part[k], group[kept] = id, support[kept] = support[k], traffic[kept] = traffic[k];
    }
    return kept;
}
