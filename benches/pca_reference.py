#!/usr/bin/env python3
"""numpy's PCA to 2-D on the same data as `contrastive-lab bench tsne`: the covariance matrix,
`numpy.linalg.eigh`, the two leading eigenvectors and the projection of every point (what the
projector's PCA does), one thread. Prints `numpy_pca n=<N> d=<D> ms=<x>` (mean of `--reps`
fits after one warm-up).
"""
import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--reps", type=int, default=20)
args = ap.parse_args()

x = np.loadtxt(args.data, delimiter=",", dtype=np.float32, ndmin=2)


def pca(x):
    xd = x.astype(np.float64)
    mean = xd.mean(axis=0)
    centred = xd - mean
    cov = centred.T @ centred / (x.shape[0] - 1)
    vals, vecs = np.linalg.eigh(cov)
    axes = vecs[:, np.argsort(vals)[::-1][:2]]
    return centred @ axes


pca(x)
start = time.perf_counter()
for _ in range(args.reps):
    pca(x)
ms = (time.perf_counter() - start) / args.reps * 1000.0
print(f"numpy_pca n={x.shape[0]} d={x.shape[1]} ms={ms:.3f}")
