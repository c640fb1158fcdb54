#!/usr/bin/env python3
"""Fit lifetimes 0.11 BG/NBD and Gamma-Gamma on a CDNOW-format file and print JSON.

Usage: python3 scripts/bench/lifetimes_cdnow.py PATH [RUNS]
Mirrors benches/clv.rs in khachquen-core: purchases per distinct day, calibration end
1997-09-30, time in weeks; timed = fit both models + p_alive, expected purchases in the
next 90 days and expected spend for every customer. Reading the file is not timed.
"""
import json
import sys
import time
import warnings

warnings.simplefilter("ignore")

import pandas as pd  # noqa: E402
from lifetimes import BetaGeoFitter, GammaGammaFitter  # noqa: E402
from lifetimes.utils import summary_data_from_transaction_data  # noqa: E402

END = "1997-09-30"
HORIZON_WEEKS = 90 / 7


def load(path):
    tx = pd.read_csv(
        path,
        sep=r"\s+",
        header=None,
        names=["customer", "id", "date", "cds", "spend"],
        dtype={"customer": str, "id": int, "date": str},
    )
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    # freq "D" groups a customer's rows by day and sums their spend; /7 gives weeks.
    return summary_data_from_transaction_data(
        tx, "id", "date", monetary_value_col="spend", observation_period_end=END,
        freq="D", freq_multiplier=7,
    )


def run(s):
    bgf = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    ggf = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    alive = bgf.conditional_probability_alive(s["frequency"], s["recency"], s["T"])
    buys = bgf.conditional_expected_number_of_purchases_up_to_time(
        HORIZON_WEEKS, s["frequency"], s["recency"], s["T"]
    )
    spend = ggf.conditional_expected_average_profit(s["frequency"], s["monetary_value"])
    return bgf, ggf, alive, buys, spend


def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    s = load(path)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        bgf, ggf, alive, buys, spend = run(s)
        times.append(time.perf_counter() - t0)
    times.sort()
    import lifetimes

    print(json.dumps({
        "lifetimes": lifetimes.__version__,
        "customers": int(len(s)),
        "repeaters": int(((s["frequency"] > 0) & (s["monetary_value"] > 0)).sum()),
        "bgnbd": {k: float(v) for k, v in bgf.params_.items()},
        "gamma_gamma": {k: float(v) for k, v in ggf.params_.items()},
        "fit_seconds_median": times[len(times) // 2],
        "fit_seconds_min": times[0],
        "runs": runs,
        "sum_p_alive": float(alive.sum()),
        "sum_expected_purchases": float(buys.sum()),
        "sum_expected_spend": float(spend.sum()),
    }))


if __name__ == "__main__":
    main()
