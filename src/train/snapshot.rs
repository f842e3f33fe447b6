//! What the trainer publishes: snapshots of the probe embeddings with their diagnostics, and
//! the events (knob changes) that plots draw as markers.

use crate::config::{Key, Method, RunConfig, Setting};
use crate::data::{Probe, Prompt};
use crate::error::Result;
use crate::methods::{Learner, dino, effective_momentum, scalar, tensor2, to_vec, vicreg};
use crate::metrics::diagnostics::{column_mean_var, normalize_rows, normalize_rows_f32};
use crate::metrics::{Diagnostics, Extra};
use burn::module::Module;
use burn::tensor::activation::log_softmax;

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
    /// Method-specific numbers, in the order of the method's `METRICS`.
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

impl PromptEmbeddings {
    /// Embed `prompts` with the text tower and classify each row of `images: [n, d]` by its
    /// nearest prompt.
    pub fn of(
        learner: &Learner,
        config: &RunConfig,
        prompts: &[Prompt],
        images: &[f32],
        labels: &[usize],
    ) -> Result<Option<Self>> {
        if prompts.is_empty() {
            return Ok(None);
        }
        let device = learner.inference_device();
        let encodings: Vec<f32> = prompts.iter().flat_map(|p| p.encoding.clone()).collect();
        let net = learner.online.valid();
        let z = to_vec(
            net.embed_text(
                tensor2(&encodings, prompts.len(), &device),
                config.projector_norm(),
            )
            .1,
        )?; // [p, d]
        let d = config.out_dim;
        let classes: Vec<usize> = prompts.iter().map(|p| p.class).collect();
        let accuracy = zero_shot_accuracy(images, &z, d, &classes, labels);
        Ok(Some(Self {
            texts: prompts.iter().map(|p| p.text.clone()).collect(),
            classes,
            z,
            accuracy,
        }))
    }
}

/// Fraction of `images: [n, d]` whose most similar (cosine) row of `prompts: [p, d]` has the
/// image's label as its class.
pub fn zero_shot_accuracy(
    images: &[f32],
    prompts: &[f32],
    d: usize,
    classes: &[usize],
    labels: &[usize],
) -> f64 {
    let (a, b) = (normalize_rows(images, d), normalize_rows(prompts, d));
    if labels.is_empty() || classes.is_empty() || d == 0 {
        return 0.0;
    }
    let hits = a
        .chunks_exact(d)
        .zip(labels)
        .filter(|(row, label)| {
            let nearest = b
                .chunks_exact(d)
                .map(|p| p.iter().zip(row.iter()).map(|(x, y)| x * y).sum::<f64>())
                .enumerate()
                .max_by(|x, y| x.1.total_cmp(&y.1))
                .map(|(k, _)| classes[k]);
            nearest == Some(**label)
        })
        .count();
    hits as f64 / labels.len() as f64
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
    fn of(teacher: &[f32], student: &[f32], k: usize, labels: &[usize]) -> Self {
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

/// What a method adds to a snapshot: its own numbers (metrics.csv columns) and, for DINO, the
/// prototype distributions; for BYOL, SimSiam and MoCo, what their forces need.
#[derive(Clone, Debug, Default)]
pub struct MethodExtras {
    pub numbers: Vec<(Extra, f64)>,
    pub prototypes: Option<PrototypeDistributions>,
    pub forces: Option<ForceInputs>,
    pub prompts: Option<PromptEmbeddings>,
}

/// MoCo's positives for the first [`FORCE_SAMPLES`] probe samples (the key encoder's embedding
/// of their second views) and its queue.
fn queue_inputs(
    learner: &Learner,
    config: &RunConfig,
    probe: &Probe,
) -> Result<Option<ForceInputs>> {
    let (Some(key_encoder), Some(queue)) = (&learner.teacher, &learner.state.queue) else {
        return Ok(None);
    };
    let device = learner.inference_device();
    let m = FORCE_SAMPLES.min(probe.n);
    let input = probe.inputs.len() / probe.n.max(1);
    let keys = key_encoder
        .embed(
            tensor2(&probe.view_b[..m * input], m, &device),
            config.projector_norm(),
        )
        .1;
    Ok(Some(ForceInputs::Queue {
        keys: to_vec(keys)?,
        queue: std::sync::Arc::new(to_vec(queue.clone())?),
    }))
}

/// The online predictor's output for `z: [rows, d]` (eval mode).
fn predict(learner: &Learner, config: &RunConfig, z: &[f32], rows: usize) -> Result<Vec<f32>> {
    let device = learner.inference_device();
    let net = learner.online.valid();
    to_vec(net.predict(
        tensor2(z, rows, &device),
        config.predictor,
        config.predictor_norm(),
    ))
}

/// What BYOL's and SimSiam's regression pulls for the first [`FORCE_SAMPLES`] probe samples:
/// `prediction` of their first views (at least that many rows) towards the other view's
/// target.
fn pull(
    learner: &Learner,
    config: &RunConfig,
    probe: &Probe,
    prediction: &[f32],
    z_b: &[f32],
) -> Result<Pull> {
    let m = FORCE_SAMPLES.min(probe.n);
    let d = config.out_dim;
    let (target, weight) = match (config.method, &learner.teacher) {
        (Method::Byol, Some(t)) => {
            let input = probe.inputs.len() / probe.n.max(1);
            let device = learner.inference_device();
            let t = t
                .embed(
                    tensor2(&probe.view_b[..m * input], m, &device),
                    config.projector_norm(),
                )
                .1;
            (to_vec(t)?, 2.0)
        }
        (Method::Byol, None) => (z_b[..m * d].to_vec(), 2.0),
        _ => (z_b[..m * d].to_vec(), 0.5),
    };
    Ok(Pull {
        prediction: prediction[..m * d].to_vec(),
        target,
        weight,
    })
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

/// Fraction of probe images whose most similar caption (among the probe's) is their own. Many
/// images share a caption (the same words), and identical captions embed identically, so a tie
/// with the own caption counts as a hit.
fn retrieval_accuracy(images: &[f32], captions: &[f32], d: usize) -> f64 {
    let (a, b) = (
        normalize_rows_f32(images, d),
        normalize_rows_f32(captions, d),
    );
    let n = a.len() / d.max(1);
    if n == 0 {
        return 0.0;
    }
    let mut hits = 0;
    crate::methods::host::for_each_dot_row(&a, &b, d, |i, row| {
        // Ties (two probe samples with the same caption) count as found.
        let own = row[i];
        if row.iter().all(|&s| s <= own + 1e-6) {
            hits += 1;
        }
    });
    hits as f64 / n as f64
}

/// Barlow Twins' two terms on the probe's fixed view pairs.
fn barlow_terms(a: &[f32], b: &[f32], d: usize) -> (f64, f64) {
    let n = a.len() / d.max(1);
    if n < 2 {
        return (0.0, 0.0);
    }
    let standardize = |x: &[f32]| -> Vec<f64> {
        let mut out: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        for c in 0..d {
            let (mean, var) = column_mean_var(&out, d, c);
            let sd = (var + 1e-5).sqrt();
            out.iter_mut()
                .skip(c)
                .step_by(d)
                .for_each(|v| *v = (*v - mean) / sd);
        }
        out
    };
    let (sa, sb) = (standardize(a), standardize(b));
    let (mut inv, mut red) = (0.0, 0.0);
    for i in 0..d {
        for j in 0..d {
            let c: f64 = (0..n).map(|r| sa[r * d + i] * sb[r * d + j]).sum::<f64>() / n as f64;
            if i == j {
                inv += (1.0 - c).powi(2);
            } else {
                red += c * c;
            }
        }
    }
    (inv, red)
}

/// The InfoNCE estimate of the views' mutual information, `ln N − loss` (nats), for the methods
/// with an N-way softmax; it can never exceed ln N, the loss of a uniform softmax (chance).
pub fn mi_bound(config: &RunConfig, loss: f64) -> Option<f64> {
    crate::methods::info_nce_candidates(config).map(|n| (n.max(1) as f64).ln() - loss)
}

/// Method-specific diagnostics on the probe. `h`: `[n, f]` representations of the clean
/// samples; `z`, `z_a`, `z_b`: `[n, d]` host embeddings of the clean samples and the two fixed
/// views (CLIP: `z_b` are the captions); `loss` the mean training loss since the last snapshot.
pub fn method_extras(
    learner: &Learner,
    config: &RunConfig,
    probe: &Probe,
    (h, z, z_a, z_b): (&[f32], &[f32], &[f32], &[f32]),
    (step, loss): (usize, f64),
) -> Result<MethodExtras> {
    let d = config.out_dim;
    let metrics = crate::methods::metrics(config.method);
    let dino = config
        .method
        .is_dino()
        .then(|| dino_entropy_kl(learner, config, probe))
        .transpose()?;
    // SimSiam's predictions of the whole probe serve both `pred_cos` and the forces; BYOL's
    // forces need only the first rows'.
    let rows = FORCE_SAMPLES.min(probe.n);
    let predictions = match config.method {
        Method::SimSiam => Some(predict(learner, config, z_a, probe.n)?),
        Method::Byol => Some(predict(learner, config, &z_a[..rows * d], rows)?),
        _ => None,
    };
    let forces = match config.method {
        Method::Moco => queue_inputs(learner, config, probe)?,
        _ => predictions
            .as_deref()
            .map(|p| pull(learner, config, probe, p, z_b))
            .transpose()?
            .map(ForceInputs::Pull),
    };
    let temperature = match config.method {
        // CLIP's τ may be learned: 1 / its logit scale.
        Method::Clip => {
            let device = learner.inference_device();
            1.0 / scalar(learner.online.logit_scale(config, &device))?
        }
        _ => config.temperature,
    };
    let barlow = metrics
        .contains(&Extra::Invariance)
        .then(|| barlow_terms(z_a, z_b, d));
    let device = learner.inference_device();
    let n = probe.n;
    let vicreg = metrics
        .contains(&Extra::VicInvariance)
        .then(|| {
            let (inv, var, cov) =
                vicreg::vicreg_terms(tensor2(z_a, n, &device), tensor2(z_b, n, &device));
            Ok::<_, crate::error::LabError>([scalar(inv)?, scalar(var)?, scalar(cov)?])
        })
        .transpose()?;
    let zero_shot = if metrics.contains(&Extra::ZeroShotAcc) {
        PromptEmbeddings::of(learner, config, &probe.prompts, z, &probe.labels)?
    } else {
        None
    };
    let koleo = metrics
        .contains(&Extra::Koleo)
        .then(|| scalar(dino::koleo(tensor2(h, n, &device))))
        .transpose()?;
    let numbers = metrics
        .iter()
        .map(|&metric| {
            let value = match metric {
                Extra::Temperature => temperature,
                Extra::EmaMomentum => effective_momentum(config, step),
                Extra::MiBound => mi_bound(config, loss).unwrap_or(f64::NAN),
                Extra::RetrievalAcc => retrieval_accuracy(z, z_b, d),
                // How well the predictor maps one view onto the other (−loss at the probe).
                Extra::PredCos => crate::metrics::diagnostics::paired_cosine(
                    predictions.as_deref().unwrap_or_default(),
                    z_b,
                    d,
                ),
                Extra::Invariance => barlow.map_or(f64::NAN, |b| b.0),
                Extra::Redundancy => barlow.map_or(f64::NAN, |b| b.1),
                Extra::VicInvariance => vicreg.map_or(f64::NAN, |v| v[0]),
                Extra::VicVariance => vicreg.map_or(f64::NAN, |v| v[1]),
                Extra::VicCovariance => vicreg.map_or(f64::NAN, |v| v[2]),
                Extra::TeacherEntropy => dino.as_ref().map_or(f64::NAN, |t| t.0),
                Extra::Kl => dino.as_ref().map_or(f64::NAN, |t| t.1),
                Extra::Koleo => koleo.unwrap_or(f64::NAN),
                Extra::ZeroShotAcc => zero_shot.as_ref().map_or(f64::NAN, |p| p.accuracy),
            };
            (metric, value)
        })
        .collect();
    Ok(MethodExtras {
        numbers,
        prototypes: dino.map(|t| t.2),
        forces,
        prompts: zero_shot,
    })
}

/// DINO on the clean probe: mean per-sample entropy of the teacher distribution, mean
/// KL(teacher ‖ student), and both distributions of the first probe samples.
fn dino_entropy_kl(
    learner: &Learner,
    config: &RunConfig,
    probe: &Probe,
) -> Result<(f64, f64, PrototypeDistributions)> {
    let device = learner.inference_device();
    let student = learner.online.valid();
    let teacher = learner.teacher.as_ref().unwrap_or(&student);
    let x = tensor2(&probe.inputs, probe.n, &device);
    let bn = config.projector_norm();
    let t = teacher.prototype_logits(teacher.embed(x.clone(), bn).1); // [n, K]
    let s = student.prototype_logits(student.embed(x, bn).1); // [n, K]
    let pt = dino::teacher_targets(t, learner.state.center.clone(), config); // [n, K]
    let log_pt = pt.clone().clamp_min(1e-12).log();
    let log_ps = log_softmax(s.div_scalar(config.student_temperature), 1);
    let entropy = (pt.clone() * log_pt.clone()).sum_dim(1).mean().neg();
    let kl = (pt.clone() * (log_pt - log_ps.clone())).sum_dim(1).mean();
    let k = config.prototypes;
    let distributions =
        PrototypeDistributions::of(&to_vec(pt)?, &to_vec(log_ps.exp())?, k, &probe.labels);
    Ok((scalar(entropy)?, scalar(kl)?, distributions))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_shot_classifies_by_the_nearest_prompt_whatever_its_length() {
        // Prompts for classes 2 and 5 along the two axes (one long, one short).
        let prompts = [3.0, 0.0, 0.0, 0.5];
        let classes = [2, 5];
        let images = [1.0, 0.1, 0.2, 2.0, 0.9, 0.8, -1.0, 0.0];
        // Nearest by cosine: 2, 5, 2 (0.75 > 0.66), 5 (cos −1 vs 0): the third is wrong.
        let labels = [2, 5, 5, 5];
        let acc = zero_shot_accuracy(&images, &prompts, 2, &classes, &labels);
        assert!((acc - 0.75).abs() < 1e-12, "{acc}");
        assert_eq!(zero_shot_accuracy(&[], &prompts, 2, &classes, &[]), 0.0);
    }

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
