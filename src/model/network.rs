//! The whole trainable network of a run. One type serves every method: each uses the parts it
//! needs (the predictor for BYOL/SimSiam, the text tower and logit scale for CLIP, the
//! prototypes for DINO), and the EMA utility works on it as a whole.

use super::encoder::Encoder;
use super::head::Head;
use super::init;
use crate::config::{Method, ModelConfig, NormKind, RunConfig};
use crate::data::Source;
use crate::rng::Rng;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};

#[derive(Module, Debug)]
pub struct Network {
    /// f: input → representation h
    pub encoder: Encoder,
    /// g: h → embedding z
    pub projector: Head,
    /// q: z → prediction p (BYOL, SimSiam)
    pub predictor: Head,
    /// CLIP: caption encoding → h_text
    pub text_encoder: Option<Encoder>,
    /// CLIP: h_text → z_text
    pub text_projector: Option<Head>,
    /// DINO: K prototype columns `[out_dim, K]`, ℓ2-normalised in the forward pass (DINO's
    /// weight-normalised last layer).
    pub prototypes: Option<Linear>,
    /// CLIP: learnable log of the logit scale 1/τ (initialised at ln(1/0.07)).
    pub log_scale: Option<Param<Tensor<1>>>,
}

/// Largest logit scale CLIP allows (τ ≥ 0.01).
pub const MAX_LOGIT_SCALE: f64 = 100.0;

pub fn l2_normalize(x: Tensor<2>) -> Tensor<2> {
    // sqrt(Σx² + ε) rather than max(‖x‖, ε): finite gradient at x = 0.
    let norm = x.clone().square().sum_dim(1).add_scalar(1e-12).sqrt(); // [batch, 1]
    x / norm
}

impl Network {
    pub fn new(config: &ModelConfig, source: &dyn Source, seed: u64, device: &Device) -> Self {
        let mut rng = Rng::fork(seed, "init");
        let (hidden, feature, out) = (config.hidden_dim, config.feature_dim, config.out_dim);
        let encoder = Encoder::new(&mut rng, source.input(), hidden, feature, device);
        // SimSiam's projector ends with a BN without γ/β. It fixes every output dimension's
        // variance over the batch at 1, so z cannot shrink to a point: measured here (blobs,
        // stop-gradient off at step 100), std·√d is still 0.86 at step 1500 while RankMe falls
        // from 28 to 2.3 (the collapse turns dimensional); without it std·√d falls to 0.09. A
        // class should see the collapse as points meeting, so no head here ends with BN.
        let projector = Head::new(&mut rng, feature, hidden, out, device);
        let predictor = Head::new(&mut rng, out, config.predictor_hidden, out, device);
        let clip = config.method == Method::Clip && source.caption_dim() > 0;
        let text_encoder =
            clip.then(|| Encoder::mlp(&mut rng, source.caption_dim(), hidden, feature, device));
        let text_projector = clip.then(|| Head::new(&mut rng, feature, hidden, out, device));
        let prototypes = config
            .method
            .is_dino()
            .then(|| init::linear(&mut rng, out, config.prototypes, false, device));
        let log_scale = clip.then(|| {
            init::param(
                vec![(1.0 / config.temperature.max(0.01)).ln() as f32],
                [1],
                device,
            )
        });
        Self {
            encoder,
            projector,
            predictor,
            text_encoder,
            text_projector,
            prototypes,
            log_scale,
        }
    }

    /// `[batch, input_len] → ([batch, feature] h, [batch, out_dim] z)`
    pub fn embed(&self, x: Tensor<2>, norm: NormKind) -> (Tensor<2>, Tensor<2>) {
        let h = self.encoder.forward(x);
        let z = self.projector.forward(h.clone(), norm);
        (h, z)
    }

    /// CLIP's text tower: `[batch, caption_dim] → ([batch, feature], [batch, out_dim])`.
    /// Networks without one (never for CLIP) fall back to the image tower.
    pub fn embed_text(&self, c: Tensor<2>, norm: NormKind) -> (Tensor<2>, Tensor<2>) {
        match (&self.text_encoder, &self.text_projector) {
            (Some(enc), Some(proj)) => {
                let h = enc.forward(c);
                let z = proj.forward(h.clone(), norm);
                (h, z)
            }
            _ => self.embed(c, norm),
        }
    }

    /// `[batch, out_dim] → [batch, out_dim]`; the identity when the predictor is off.
    pub fn predict(&self, z: Tensor<2>, enabled: bool, norm: NormKind) -> Tensor<2> {
        if enabled {
            self.predictor.forward(z, norm)
        } else {
            z
        }
    }

    /// DINO: cosine logits of z against the prototypes, `[batch, out_dim] → [batch, K]`.
    pub fn prototype_logits(&self, z: Tensor<2>) -> Tensor<2> {
        let Some(p) = &self.prototypes else {
            return l2_normalize(z);
        };
        let w = p.weight.val(); // [out_dim, K]
        let w = w.clone() / w.square().sum_dim(0).add_scalar(1e-12).sqrt();
        l2_normalize(z).matmul(w)
    }

    /// CLIP's logit scale 1/τ: learned (capped at 100) or fixed from `temperature`.
    pub fn logit_scale(&self, config: &RunConfig, device: &Device) -> Tensor<1> {
        match (&self.log_scale, config.learnable_temperature) {
            (Some(s), true) => s.val().clamp_max(MAX_LOGIT_SCALE.ln()).exp(),
            _ => Tensor::from_floats(
                [(1.0 / config.temperature).min(MAX_LOGIT_SCALE) as f32],
                device,
            ),
        }
    }
}
