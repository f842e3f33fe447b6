//! The host layers themselves: each op's forward pass and its exact backward pass.

use super::Activation;
use super::host::*;
use crate::cpu::gemm::{self, Mat, MatMut};
use crate::cpu::rows;
use burn::backend::flex::FlexTensor;
use std::borrow::Cow;
use std::sync::Arc;

/// `x·W + b`, then the activation.
#[derive(Clone, Copy, Debug)]
pub(super) struct AffineOp {
    pub(super) activation: Activation,
}

impl HostOp<3> for AffineOp {
    fn forward(&self, inputs: &[Cow<[f32]>], shapes: &[Vec<usize>]) -> (FlexTensor, Vec<f32>) {
        let [x, w, b] = [&inputs[0], &inputs[1], &inputs[2]];
        let ((rows, d_in), (_, d_out)) = (dims2(&shapes[0]), dims2(&shapes[1]));
        let mut y = rows::write_rows(rows, d_out, |_, out| out.copy(b)); // [rows, d_out]: b
        gemm::product(
            MatMut::new(&mut y, rows, d_out),
            Mat::new(x, rows, d_in),
            Mat::new(w, d_in, d_out),
            1.0,
            gemm::Into::Accumulate,
        );
        if self.activation == Activation::Relu {
            rows::by_rows(&mut y, d_out, |_, block| {
                block.iter_mut().for_each(|v| *v = v.max(0.0))
            });
        }
        (tensor(y, [rows, d_out]), Vec::new())
    }

    fn backward(
        &self,
        grad: &[f32],
        state: &State,
        inputs: &[Cow<[f32]>],
        shapes: &[Vec<usize>],
        [need_x, need_w, need_b]: [bool; 3],
    ) -> [Option<FlexTensor>; 3] {
        let ((rows, d_in), (_, d_out)) = (dims2(&shapes[0]), dims2(&shapes[1]));
        let g = match self.activation {
            Activation::Relu => {
                let output = values(&state.output);
                Cow::Owned(rows::collect_by_rows(rows, d_out, |r| {
                    let row = r * d_out..(r + 1) * d_out;
                    relu_masked(&grad[row.clone()], &output[row])
                }))
            }
            Activation::Identity => Cow::Borrowed(grad),
        }; // [rows, d_out]
        let g_view = Mat::new(&g, rows, d_out);
        let dx = need_x.then(|| {
            let w = Mat::new(&inputs[1], d_in, d_out);
            tensor(gemm::new_product(g_view, w.t(), 1.0), [rows, d_in]) // gWᵀ
        });
        let dw = need_w.then(|| {
            let x = Mat::new(&inputs[0], rows, d_in);
            tensor(gemm::new_product(x.t(), g_view, 1.0), [d_in, d_out]) // xᵀg
        });
        let db = need_b.then(|| vector(column_sums(&g, d_out)));
        [dx, dw, db]
    }
}

pub(super) fn column_sums(m: &[f32], cols: usize) -> Vec<f32> {
    let mut sums = vec![0.0f32; cols];
    for row in m.chunks_exact(cols.max(1)) {
        sums.iter_mut().zip(row).for_each(|(s, v)| *s += v);
    }
    sums
}

/// A gather of columns by a fixed index ([`gather_columns`]), as the runs of consecutive
/// columns the index reads (a channels-last patch reads each tap's channels in one run).
#[derive(Clone, Debug)]
pub(super) struct GatherOp {
    pub(super) runs: Arc<[Run]>,
    /// The index's length: the output's columns.
    pub(super) taps: usize,
}

/// `len` consecutive output columns that read the input's columns `from..from + len`, or are
/// zeros (`from: None`: the index points past the row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Run {
    pub(super) from: Option<usize>,
    pub(super) len: usize,
}

/// `index` (columns of rows `len` long) as runs: `index[t + 1] = index[t] + 1` within one.
pub(super) fn runs_of(index: &[u32], len: usize) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for &i in index {
        let from = ((i as usize) < len).then_some(i as usize);
        match runs.last_mut() {
            Some(run) if run.from.map(|f| f + run.len) == from => run.len += 1,
            _ => runs.push(Run { from, len: 1 }),
        }
    }
    runs
}

impl HostOp<1> for GatherOp {
    fn forward(&self, inputs: &[Cow<[f32]>], shapes: &[Vec<usize>]) -> (FlexTensor, Vec<f32>) {
        let (rows, len) = dims2(&shapes[0]);
        let (x, runs) = (&inputs[0], &self.runs);
        let y = rows::write_rows(rows, self.taps, |r, out| {
            let xr = &x[r * len..(r + 1) * len];
            for run in runs.iter() {
                match run.from {
                    Some(from) => out.copy(&xr[from..from + run.len]),
                    None => out.zeros(run.len),
                }
            }
        }); // [rows, taps]
        (tensor(y, [rows, self.taps]), Vec::new())
    }

    fn backward(
        &self,
        grad: &[f32],
        _: &State,
        _: &[Cow<[f32]>],
        shapes: &[Vec<usize>],
        [need_x]: [bool; 1],
    ) -> [Option<FlexTensor>; 1] {
        let (rows, len) = dims2(&shapes[0]);
        let (taps, runs) = (self.taps, &self.runs);
        let dx = need_x.then(|| {
            // A scatter-add: each input column's gradient sums those of the taps that read it,
            // in the taps' order, run by run.
            let mut dx = vec![0.0f32; rows * len]; // [rows, len]
            rows::by_rows(&mut dx, len, |first, block| {
                for (r, dr) in block.chunks_exact_mut(len.max(1)).enumerate() {
                    let gr = &grad[(first + r) * taps..(first + r + 1) * taps];
                    let mut t = 0;
                    for run in runs.iter() {
                        if let Some(from) = run.from {
                            let (d, g) = (&mut dr[from..from + run.len], &gr[t..t + run.len]);
                            d.iter_mut().zip(g).for_each(|(d, g)| *d += g);
                        }
                        t += run.len;
                    }
                }
            });
            tensor(dx, [rows, len])
        });
        [dx]
    }
}

/// `relu(γ·(x − μ)/√(σ² + ε) + β)`, μ and σ² the batch's (biased) per-column statistics.
#[derive(Clone, Copy, Debug)]
pub(super) struct BatchNormReluOp {
    pub(super) epsilon: f32,
}

impl BatchNormReluOp {
    /// Per column: the mean and `1/√(σ² + ε)`.
    fn statistics(&self, x: &[f32], rows: usize, cols: usize) -> (Vec<f32>, Vec<f32>) {
        let n = rows.max(1) as f32;
        let mut mean = column_sums(x, cols);
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0f32; cols];
        for row in x.chunks_exact(cols.max(1)) {
            for ((v, &xi), &m) in var.iter_mut().zip(row).zip(&mean) {
                let c = xi - m;
                *v += c * c;
            }
        }
        let inv_std = var
            .iter()
            .map(|v| (v / n + self.epsilon).sqrt().recip())
            .collect();
        (mean, inv_std)
    }
}

impl HostOp<3> for BatchNormReluOp {
    fn forward(&self, inputs: &[Cow<[f32]>], shapes: &[Vec<usize>]) -> (FlexTensor, Vec<f32>) {
        let [x, gamma, beta] = [&inputs[0], &inputs[1], &inputs[2]];
        let (rows, cols) = dims2(&shapes[0]);
        let (mean, inv_std) = self.statistics(x, rows, cols);
        // γ/√(σ² + ε) per column, as `BatchNorm1d::forward` scales.
        let scale: Vec<f32> = inv_std
            .iter()
            .zip(gamma.iter())
            .map(|(s, g)| s * g)
            .collect();
        let y = rows::collect_by_rows(rows, cols, |r| {
            x[r * cols..(r + 1) * cols]
                .iter()
                .zip(&mean)
                .zip(&scale)
                .zip(beta.iter())
                .map(|(((xi, m), s), b)| ((xi - m) * s + b).max(0.0))
        });
        // Saved: mean then 1/√(σ² + ε), [2·cols].
        let mut saved = mean;
        saved.extend(inv_std);
        (tensor(y, [rows, cols]), saved)
    }

    fn backward(
        &self,
        grad: &[f32],
        state: &State,
        inputs: &[Cow<[f32]>],
        shapes: &[Vec<usize>],
        [need_x, need_gamma, need_beta]: [bool; 3],
    ) -> [Option<FlexTensor>; 3] {
        let (x, gamma) = (&inputs[0], &inputs[1]);
        let (rows, cols) = dims2(&shapes[0]);
        let (mean, inv_std) = state.saved.split_at(cols);
        // h = ∂loss/∂(the normalised, shifted value): the gradient where ReLU passed it.
        // ∂β = Σ h,  ∂γ = Σ h·x̂  with x̂ = (x − μ)/σ: both sums in the pass that masks h.
        let output = values(&state.output);
        let mut h = Vec::with_capacity(rows * cols); // [rows, cols]
        let (mut d_beta, mut d_gamma) = (vec![0.0f32; cols], vec![0.0f32; cols]);
        let c = cols.max(1);
        for ((gr, yr), xr) in grad
            .chunks_exact(c)
            .zip(output.chunks_exact(c))
            .zip(x.chunks_exact(c))
        {
            let start = h.len();
            h.extend(relu_masked(gr, yr));
            let sums = d_beta.iter_mut().zip(d_gamma.iter_mut());
            for (((db, dg), &hi), (&xi, &m)) in sums.zip(&h[start..]).zip(xr.iter().zip(mean)) {
                *db += hi;
                *dg += hi * (xi - m);
            }
        }
        d_gamma.iter_mut().zip(inv_std).for_each(|(dg, s)| *dg *= s);
        // ∂x = γ/σ · (h − ∂β/n − x̂·∂γ/n), per column: a·(h − b − (x − μ)·c)
        let dx = need_x.then(|| {
            let n = rows.max(1) as f32;
            let a: Vec<f32> = gamma.iter().zip(inv_std).map(|(g, s)| g * s).collect();
            let b: Vec<f32> = d_beta.iter().map(|db| db / n).collect();
            let c: Vec<f32> = d_gamma
                .iter()
                .zip(inv_std)
                .map(|(dg, s)| dg * s / n)
                .collect();
            let mut dx = h;
            rows::by_rows(&mut dx, cols, |first, block| {
                let xs = x.chunks_exact(cols.max(1)).skip(first);
                for (dr, xr) in block.chunks_exact_mut(cols.max(1)).zip(xs) {
                    for (((((d, &xi), &m), &a), &b), &c) in
                        dr.iter_mut().zip(xr).zip(mean).zip(&a).zip(&b).zip(&c)
                    {
                        *d = a * (*d - b - (xi - m) * c);
                    }
                }
            });
            tensor(dx, [rows, cols])
        });
        [
            dx,
            need_gamma.then(|| vector(d_gamma)),
            need_beta.then(|| vector(d_beta)),
        ]
    }
}
