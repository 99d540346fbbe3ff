#!/usr/bin/env python3
"""XGBoost side of `npm run bench:train`: trains on the float32 matrix that bench/train.ts wrote.

Reads <dir>/meta.json, train.f32 (row-major float32), train.labels.u8 and test.f32; trains with
tree_method=hist and no early stopping; writes test predictions to <dir>/xgboost.pred.f32 and prints
one JSON line: train seconds (DMatrix construction + boosting) wall and CPU, peak RSS of this process,
version.
"""
import argparse
import json
import os
import resource
import time

import numpy as np
import xgboost as xgb


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--trees", type=int, default=200)
    ap.add_argument("--depth", type=int, default=8)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--max-bin", type=int, default=255)
    ap.add_argument("--nthread", type=int, default=2)
    args = ap.parse_args()

    with open(os.path.join(args.dir, "meta.json")) as f:
        meta = json.load(f)
    cols = meta["cols"]
    x = np.fromfile(os.path.join(args.dir, "train.f32"), dtype=np.float32).reshape(meta["trainRows"], cols)
    y = np.fromfile(os.path.join(args.dir, "train.labels.u8"), dtype=np.uint8).astype(np.float32)
    x_test = np.fromfile(os.path.join(args.dir, "test.f32"), dtype=np.float32).reshape(meta["testRows"], cols)

    params = {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_depth": args.depth,
        "eta": args.lr,
        "max_bin": args.max_bin,
        "nthread": args.nthread,
        "min_child_weight": 1,
        "lambda": 1,
        "gamma": 0,
        "base_score": float(y.mean()),
        "eval_metric": "logloss",
        "seed": 1,
    }
    cpu = lambda: sum(getattr(resource.getrusage(resource.RUSAGE_SELF), f) for f in ("ru_utime", "ru_stime"))
    started = time.perf_counter()
    cpu_started = cpu()
    dtrain = xgb.DMatrix(x, label=y, nthread=args.nthread)
    booster = xgb.train(params, dtrain, num_boost_round=args.trees)
    train_seconds = time.perf_counter() - started
    train_cpu_seconds = cpu() - cpu_started

    pred = booster.predict(xgb.DMatrix(x_test, nthread=args.nthread)).astype(np.float32)
    pred.tofile(os.path.join(args.dir, "xgboost.pred.f32"))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {"trainSeconds": train_seconds, "trainCpuSeconds": train_cpu_seconds, "peakRssBytes": peak_kib * 1024, "version": xgb.__version__}
        )
    )


if __name__ == "__main__":
    main()
