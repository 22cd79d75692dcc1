#!/usr/bin/python3
"""Precision, recall and F1 of TraceAnomaly's published scores on the DeepTraLog traces.

    /usr/bin/python3 bench/traceanomaly_scores.py SCORES.csv [--threshold best-f1|normal-tail]

SCORES.csv (trace_id,label,score) is ../shared/data/real/deeptralog-traceanomaly-scores.csv:
what TraceAnomaly produced for 3,345 of the 5,263 DeepTraLog TrainTicket traces,
as the DeepTraLog repository published it. The file carries no threshold, and
TraceAnomaly's own (a KDE over the log-likelihoods of normal training traces,
p-value 0.001, TraceAnomaly §III-D) needs those training traces, which were not
published. So two thresholds, both computed WITH the labels, both favouring
TraceAnomaly, and named as such in the output:

  best-f1      the cut (and side: abnormal above or below it) with the best F1
               over all cuts between distinct scores, except the cut that calls
               every trace abnormal (F1 0.905 here, 2,763 of 3,345 are): an upper bound.
  normal-tail  abnormal when the score lies outside the central 99.9% of the
               normal traces' scores (both tails: the published scores do not
               say which side is abnormal), the closest to the p-value 0.001 rule.

Prints key: value lines: traces, abnormal, threshold, side, precision, recall, f1.
"""
import argparse
import csv
import sys

import numpy as np

from stv_3sigma import scores


def load(path):
    ids, label, score = [], [], []
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if header != ["trace_id", "label", "score"]:
            sys.exit(f"{path}:1: expected header trace_id,label,score, got {header}")
        for line, r in enumerate(rows, start=2):
            try:
                ids.append(r[0]); label.append(int(r[1])); score.append(float(r[2]))
            except (IndexError, ValueError):
                sys.exit(f"{path}:{line}: expected trace_id,label,score, got {r}")
    return np.array(label) == 1, np.array(score)


def best_f1(truth, score):
    """Best F1 over every cut and both sides, from one sort (cumulative counts)."""
    best = (-1.0, 0.0, "above", 0.0, 0.0)
    order = np.argsort(score, kind="stable")
    s, t = score[order], truth[order]
    P = t.sum()
    cut = np.flatnonzero(np.r_[s[1:] != s[:-1], True])  # last index of each distinct score
    below_tp = np.cumsum(t)[cut]          # abnormal when score <= s[cut]
    below_n = cut + 1
    for side, tp, npred in (("below", below_tp, below_n), ("above", P - below_tp, len(s) - below_n)):
        prec = np.divide(tp, npred, out=np.zeros(len(tp)), where=npred > 0)
        rec = tp / P
        f1 = np.divide(2 * prec * rec, prec + rec, out=np.zeros(len(tp)), where=prec + rec > 0)
        f1[npred == len(s)] = -1  # calling every trace abnormal is no detector
        i = int(np.argmax(f1))
        if f1[i] > best[0]:
            best = (float(f1[i]), float(s[cut[i]]), side, float(prec[i]), float(rec[i]))
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scores")
    ap.add_argument("--threshold", choices=("best-f1", "normal-tail"), default="best-f1")
    a = ap.parse_args()
    truth, score = load(a.scores)
    print(f"traces: {len(truth)}")
    print(f"abnormal: {int(truth.sum())}")
    print(f"threshold_rule: {a.threshold}")
    if a.threshold == "best-f1":
        f1, thr, side, p, r = best_f1(truth, score)
        print(f"threshold: {thr:.7g}")
        print(f"side: abnormal {side} (inclusive)" if side == "below" else f"side: abnormal {side}")
    else:
        lo, hi = np.percentile(score[~truth], [0.05, 99.95])
        s = scores((score < lo) | (score > hi), truth)
        p, r, f1 = s["precision"], s["recall"], s["f1"]
        print(f"threshold: {lo:.7g} {hi:.7g}")
        print("side: abnormal outside")
    print(f"precision: {p:.6f}")
    print(f"recall: {r:.6f}")
    print(f"f1: {f1:.6f}")


if __name__ == "__main__":
    main()
