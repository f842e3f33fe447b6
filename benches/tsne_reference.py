#!/usr/bin/env python3
"""openTSNE's Barnes-Hut t-SNE on the same data as `contrastive-lab bench tsne`, one thread.

Reads a CSV of points (one row each), runs the early-exaggeration phase untimed, then times
`--iters` plain iterations and prints `opentsne n=<N> ms_per_iter=<x> kl=<KL(P||Q)>`, the KL
as openTSNE evaluates it on the last iteration.
"""
import argparse
import time

import numpy as np
from openTSNE import TSNEEmbedding, affinity, initialization

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--perplexity", type=float, default=30.0)
ap.add_argument("--learning-rate", type=float, default=200.0)
ap.add_argument("--exaggeration-iters", type=int, default=250)
ap.add_argument("--iters", type=int, default=200)
args = ap.parse_args()

x = np.loadtxt(args.data, delimiter=",", dtype=np.float64, ndmin=2)
x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
aff = affinity.PerplexityBasedNN(
    x, perplexity=args.perplexity, method="exact", n_jobs=1, random_state=0
)
emb = TSNEEmbedding(
    initialization.random(x.shape[0], random_state=0),
    aff,
    negative_gradient_method="bh",
    theta=0.5,
    n_jobs=1,
)
emb = emb.optimize(
    n_iter=args.exaggeration_iters,
    exaggeration=12,
    momentum=0.5,
    learning_rate=args.learning_rate,
)
start = time.perf_counter()
emb = emb.optimize(n_iter=args.iters, momentum=0.8, learning_rate=args.learning_rate)
ms = (time.perf_counter() - start) / args.iters * 1000.0
print(f"opentsne n={x.shape[0]} ms_per_iter={ms:.3f} kl={emb.kl_divergence:.4f}")
