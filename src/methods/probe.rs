//! What a method measures on the probe at a snapshot: the embeddings every method shares
//! ([`Probed`]), handed to its spec's `measure`, and the helpers two methods share.

use super::{Learner, tensor2, to_vec};
use crate::config::RunConfig;
use crate::data::Probe;
use crate::error::Result;
use crate::metrics::Extra;
use crate::run::snapshot::{
    FORCE_SAMPLES, ForceInputs, PromptEmbeddings, PrototypeDistributions, Pull,
};
use burn::module::Module;
use burn::tensor::{Device, Tensor};

/// The probe as the snapshot embedded it, and the run it was embedded by.
pub struct Probed<'a> {
    pub learner: &'a Learner,
    pub config: &'a RunConfig,
    pub probe: &'a Probe,
    /// `[n, f]` representations h of the clean samples.
    pub h: &'a [f32],
    /// `[n, d]` embeddings of the clean samples and of the two fixed views (CLIP: `z_b` are
    /// the captions').
    pub z: &'a [f32],
    pub z_a: &'a [f32],
    pub z_b: &'a [f32],
    pub step: usize,
    /// The mean training loss since the last snapshot.
    pub loss: f64,
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

impl MethodExtras {
    /// Just these numbers.
    pub fn numbers(numbers: Vec<(Extra, f64)>) -> Self {
        Self {
            numbers,
            ..Self::default()
        }
    }
}

impl Probed<'_> {
    pub fn device(&self) -> Device {
        self.learner.inference_device()
    }

    /// `[n, cols]` of probe rows (`data` one row per probe sample).
    pub fn tensor(&self, data: &[f32]) -> Tensor<2> {
        tensor2(data, self.probe.n, &self.device())
    }

    /// The first `rows` rows of `[n, input]` probe inputs.
    fn first_inputs<'b>(&self, inputs: &'b [f32], rows: usize) -> &'b [f32] {
        let input = inputs.len() / self.probe.n.max(1);
        &inputs[..rows * input]
    }

    /// The InfoNCE estimate of the views' mutual information, `ln N − loss` (nats): at most
    /// ln N, the loss of a uniform softmax (chance). NaN for a method without an N-way softmax.
    pub fn mi_bound(&self) -> f64 {
        super::mi_bound(self.config, self.loss).unwrap_or(f64::NAN)
    }

    /// The EMA momentum the teacher was updated with at this step.
    pub fn ema_momentum(&self) -> f64 {
        super::effective_momentum(self.config, self.step)
    }

    /// `net`'s embedding `[m, d]` of the first `m` probe samples' second views (no graph).
    pub fn embed_second_views(&self, net: &crate::model::Network, m: usize) -> Result<Vec<f32>> {
        let rows = self.first_inputs(&self.probe.view_b, m);
        to_vec(
            net.embed(
                tensor2(rows, m, &self.device()),
                self.config.projector_norm(),
            )
            .1,
        )
    }

    /// The online predictor's output for `z: [rows, d]` (eval mode).
    pub fn predict(&self, z: &[f32], rows: usize) -> Result<Vec<f32>> {
        let net = self.learner.online.valid();
        to_vec(net.predict(
            tensor2(z, rows, &self.device()),
            self.config.predictor,
            self.config.predictor_norm(),
        ))
    }

    /// What BYOL's and SimSiam's regression pulls for the first [`FORCE_SAMPLES`] probe
    /// samples: `prediction` of their first views (at least that many rows) towards `target`
    /// (at least as many rows), with the loss's `weight` on each half's mean −cos.
    pub fn pull(&self, prediction: &[f32], target: &[f32], weight: f64) -> ForceInputs {
        let m = FORCE_SAMPLES.min(self.probe.n) * self.config.out_dim;
        ForceInputs::Pull(Pull {
            prediction: prediction[..m].to_vec(),
            target: target[..m].to_vec(),
            weight,
        })
    }
}
