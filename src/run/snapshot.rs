//! What the trainer publishes: snapshots of the probe embeddings with their diagnostics, and
//! the events (knob changes) that plots draw as markers.

use crate::config::{Key, Setting};
use crate::metrics::{Diagnostics, Extra};

/// A setting changed at `step` from `old` to `new`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    pub step: usize,
    pub old: Setting,
    pub new: Setting,
}

impl Event {
    pub fn key(&self) -> Key {
        self.new.key()
    }

    /// "temperature 0.5 -> 0.05" (ASCII: egui's bundled fonts have no arrow glyph).
    pub fn label(&self) -> String {
        format!(
            "{} {} -> {}",
            self.key().name(),
            self.old.text(),
            self.new.text()
        )
    }
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    pub step: usize,
    /// Mean training loss since the previous snapshot (the initial loss at step 0).
    pub loss: f64,
    pub diagnostics: Diagnostics,
    /// Method-specific numbers, in the order of the method's spec (`MethodSpec::metrics`).
    pub extras: Vec<(Extra, f64)>,
    /// `[n, dim]` probe embeddings z (projector output).
    pub z: Vec<f32>,
    pub dim: usize,
    pub labels: Vec<usize>,
    /// What the loss sees: cosine similarities among both views of a few probe samples.
    pub pairs: PairSimilarity,
    /// `[FORCE_SAMPLES, dim]` embeddings of the two fixed views of the first probe samples:
    /// the batch the view draws the loss's forces on; the first [`VIEW_LINES`] are joined by
    /// lines.
    pub view_a: Vec<f32>,
    pub view_b: Vec<f32>,
    /// What the view needs besides `view_a`/`view_b` to draw the loss's forces (BYOL/SimSiam:
    /// the predictions and their targets; MoCo: the keys and the queue). Headless runs,
    /// recordings and their files drop it.
    #[serde(skip)]
    pub forces: Option<ForceInputs>,
    /// DINO: the teacher's target and the student's distribution over the prototypes.
    pub prototypes: Option<PrototypeDistributions>,
    /// CLIP: the zero-shot prompts' embeddings (markers in the embedding view).
    #[serde(default)]
    pub prompts: Option<PromptEmbeddings>,
}

/// CLIP's zero-shot prompts through the text tower, and how well they classify the probe.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PromptEmbeddings {
    /// `[p]` the prompts' text ("a circle").
    pub texts: Vec<String>,
    /// `[p]` the class each prompt names.
    pub classes: Vec<usize>,
    /// `[p, dim]` their embeddings, in the image embeddings' space.
    pub z: Vec<f32>,
    /// Fraction of probe images whose nearest prompt (cosine) names their class.
    pub accuracy: f64,
}

/// DINO's two distributions over the K prototypes for the first [`PAIR_SAMPLES`] probe samples
/// (sorted by class): the teacher's centred, sharpened target and the student's prediction.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PrototypeDistributions {
    pub k: usize,
    /// `[m]` class of each row.
    pub labels: Vec<usize>,
    /// `[m, k]` rows summing to 1.
    pub teacher: Vec<f32>,
    pub student: Vec<f32>,
}

impl PrototypeDistributions {
    /// `[k]` the mean of the rows of `values` (the teacher's or student's): how much each
    /// prototype is used over the samples shown.
    pub fn marginal(&self, values: &[f32]) -> Vec<f64> {
        let m = self.labels.len().max(1);
        let mut out = vec![0.0f64; self.k];
        for row in values.chunks_exact(self.k.max(1)) {
            out.iter_mut()
                .zip(row)
                .for_each(|(o, &v)| *o += v as f64 / m as f64);
        }
        out
    }

    /// Prototypes in use: exp(entropy of the marginal), from 1 (one prototype takes every
    /// sample) to k (all used equally).
    pub fn in_use(&self, values: &[f32]) -> f64 {
        let h: f64 = self
            .marginal(values)
            .iter()
            .filter(|&&p| p > 0.0)
            .map(|&p| -p * p.ln())
            .sum();
        h.exp()
    }

    /// The first [`PAIR_SAMPLES`] rows of `[n, k]` teacher and student probabilities, by class.
    pub fn of(teacher: &[f32], student: &[f32], k: usize, labels: &[usize]) -> Self {
        let n = labels.len().min(teacher.len() / k.max(1));
        let mut chosen: Vec<usize> = (0..n.min(PAIR_SAMPLES)).collect();
        chosen.sort_by_key(|&i| labels[i]);
        let rows = |x: &[f32]| -> Vec<f32> {
            chosen
                .iter()
                .flat_map(|&i| x[i * k..(i + 1) * k].iter().copied())
                .collect()
        };
        Self {
            k,
            labels: chosen.iter().map(|&i| labels[i]).collect(),
            teacher: rows(teacher),
            student: rows(student),
        }
    }
}

/// Probe samples whose two views the embedding view can join with a line.
pub const VIEW_LINES: usize = 16;

/// Probe samples (seen twice) whose forces the embedding view can draw.
pub const FORCE_SAMPLES: usize = 48;

/// What a method's forces need beyond the two views' embeddings.
#[derive(Clone, Debug, PartialEq)]
pub enum ForceInputs {
    /// BYOL and SimSiam: the prediction of the first views and the target it regresses.
    Pull(Pull),
    /// MoCo: the key encoder's keys of the second views (the positives) and the queue of
    /// negatives, `[m, dim]` and `[K, dim]` (unit rows).
    Queue {
        keys: Vec<f32>,
        queue: std::sync::Arc<Vec<f32>>,
    },
}

/// What BYOL's and SimSiam's regression pulls, for the first [`FORCE_SAMPLES`] probe samples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pull {
    /// `[m, dim]` the online prediction p of the first view.
    pub prediction: Vec<f32>,
    /// `[m, dim]` its target: the other view's projection (SimSiam: the same network behind a
    /// stop-gradient; BYOL: the EMA target network).
    pub target: Vec<f32>,
    /// The loss's weight on mean(−cos(p, t)) for this half (SimSiam 1/2, BYOL 2).
    pub weight: f64,
}

/// Cosine similarities among `[view_a; view_b]` of `m` probe samples (sorted by class), the
/// 2m×2m matrix whose rows SimCLR's softmax runs over: row i's positive is column (i + m) mod 2m.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairSimilarity {
    pub m: usize,
    /// `[2m, 2m]` row-major.
    pub sim: Vec<f32>,
    /// `[m]` class of each sample.
    pub labels: Vec<usize>,
}

/// How many probe samples the heatmap shows.
pub const PAIR_SAMPLES: usize = 24;

impl PairSimilarity {
    /// From `[n, d]` view embeddings: the first `PAIR_SAMPLES` probe samples, sorted by label.
    pub fn of(z_a: &[f32], z_b: &[f32], d: usize, labels: &[usize]) -> Self {
        let n = labels
            .len()
            .min(z_a.len() / d.max(1))
            .min(z_b.len() / d.max(1));
        let mut chosen: Vec<usize> = (0..n.min(PAIR_SAMPLES)).collect();
        chosen.sort_by_key(|&i| labels[i]);
        let m = chosen.len();
        let rows: Vec<&[f32]> = chosen
            .iter()
            .map(|&i| &z_a[i * d..(i + 1) * d])
            .chain(chosen.iter().map(|&i| &z_b[i * d..(i + 1) * d]))
            .collect();
        let unit: Vec<Vec<f32>> = rows
            .iter()
            .map(|r| {
                let norm = r.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
                r.iter().map(|v| v / norm).collect()
            })
            .collect();
        let sim = unit
            .iter()
            .flat_map(|a| {
                unit.iter()
                    .map(move |b| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>())
            })
            .collect();
        Self {
            m,
            sim,
            labels: chosen.iter().map(|&i| labels[i]).collect(),
        }
    }

    /// Row-wise softmax of sim/τ over the other 2m − 1 entries (the diagonal is excluded, as
    /// in NT-Xent); the diagonal is reported as 0.
    pub fn softmax(&self, temperature: f64) -> Vec<f32> {
        let k = 2 * self.m;
        let mut out = vec![0.0f32; k * k];
        for i in 0..k {
            let row = &self.sim[i * k..(i + 1) * k];
            let max = (0..k)
                .filter(|&j| j != i)
                .map(|j| row[j] as f64 / temperature)
                .fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = (0..k)
                .filter(|&j| j != i)
                .map(|j| (row[j] as f64 / temperature - max).exp())
                .sum();
            for j in (0..k).filter(|&j| j != i) {
                out[i * k + j] = ((row[j] as f64 / temperature - max).exp() / total) as f32;
            }
        }
        out
    }
}

impl Snapshot {
    pub fn extra(&self, metric: Extra) -> Option<f64> {
        self.extras
            .iter()
            .find(|(k, _)| *k == metric)
            .map(|(_, v)| *v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_similarity_is_sorted_symmetric_and_softmax_sharpens_with_lower_temperature() {
        // Two classes on orthogonal axes; views equal to the samples.
        let z: Vec<f32> = vec![0.0, 1.0, 1.0, 0.0, 0.0, 2.0, 3.0, 0.0];
        let labels = [1, 0, 1, 0];
        let p = PairSimilarity::of(&z, &z, 2, &labels);
        assert_eq!(p.m, 4);
        assert_eq!(p.labels, vec![0, 0, 1, 1]);
        let k = 8;
        for i in 0..k {
            assert!((p.sim[i * k + i] - 1.0).abs() < 1e-6);
            for j in 0..k {
                assert!((p.sim[i * k + j] - p.sim[j * k + i]).abs() < 1e-6);
            }
        }
        // Row 0's positive (column 4) gets more mass at low τ.
        let (cold, hot) = (p.softmax(0.05), p.softmax(5.0));
        assert!(cold[4] > hot[4]);
        let row_sum: f32 = cold[..k].iter().sum();
        assert!((row_sum - 1.0).abs() < 1e-5 && cold[0] == 0.0);
    }
}
