#!/usr/bin/env bash
# The "separated faults" variant of the synthetic Online Boutique model
# (configs/synth/online-boutique.ini): 6 faults over 12 hours (10% of the
# traces abnormal) of intensity 0.8-1, no pod failures (a replicated pod's
# failure touches 5% of its service's traffic) and no faults in the
# services only checkout reaches (a twentieth of the requests). Faults a 5%
# background of wrong labels cannot hide: what the root-cause noise test
# (tests/e2e/rootcause_noise.sh) and bench/rootcause_noise.sh run on.
#   bench/synth_separated.sh OUT.ini
# then: labelease synth -o c.h5 --traces 20000 --config OUT.ini
set -euo pipefail
[ $# = 1 ] || { echo "usage: bench/synth_separated.sh OUT.ini" >&2; exit 2; }
SRC=$(cd "$(dirname "$0")/.." && pwd)
IN=$SRC/configs/synth/online-boutique.ini
sed -e 's/^hours = 48 /hours = 12 /' -e 's/^count = 36/count = 6/' -e 's/^intensity_min = 0.2/intensity_min = 0.8/' \
    -e 's/^target_abnormal = 0.21/target_abnormal = 0.1/' -e 's/^pod_failure = 6/pod_failure = 0/' \
    -e 's/^\(checkoutservice\|emailservice\|paymentservice\|shippingservice\) = 0.5/\1 = 0/' "$IN" > "$1"
for want in '^hours = 12 ' '^count = 6' '^intensity_min = 0.8' '^target_abnormal = 0.1' '^pod_failure = 0'; do
    grep -q "$want" "$1" || { echo "synth_separated.sh: $IN changed: no line for '$want'" >&2; exit 1; }
done
[ "$(grep -c '^\(checkoutservice\|emailservice\|paymentservice\|shippingservice\) = 0$' "$1")" = 4 ] ||
    { echo "synth_separated.sh: $IN changed: the checkout-only services' fault weights" >&2; exit 1; }
