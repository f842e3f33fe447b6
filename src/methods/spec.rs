//! What a method file declares about itself, in one value beside its loss: [`MethodSpec`].
//! The learner, the app's panels, `metrics.csv` and the snapshot read a method only through
//! it (`methods::spec(method)`), so adding a method is writing one file and naming its spec in
//! `methods::SPECS`.

use super::{Forward, Learner, MethodExtras, Probed};
use crate::config::{Knob, Method, RunConfig};
use crate::error::Result;
use crate::metrics::Extra;
use burn::tensor::Tensor;

/// One training batch as the forward pass takes it.
pub struct Views<'a> {
    /// `[batch, in]` the first view of each sample.
    pub x1: Tensor<2>,
    /// `[batch, in]` the second view (CLIP: `[batch, caption_dim]` the captions).
    pub x2: Tensor<2>,
    /// Paired sets: each sample's caption key (equal keys, equal words); empty otherwise.
    pub caption_keys: &'a [usize],
}

/// A method, as its file declares it.
pub struct MethodSpec {
    pub method: Method,
    /// The menu's name, with what the method is in brackets.
    pub title: &'static str,
    /// The knobs the app shows for this method, in order.
    pub knobs: &'static [Knob],
    /// The numbers it reports beside the common diagnostics (`metrics.csv` columns, in order);
    /// `measure` returns them in this order.
    pub metrics: &'static [Extra],
    /// InfoNCE methods: how many candidates N each anchor's softmax chooses among (the loss of
    /// chance is ln N, and ln N − loss bounds the views' mutual information).
    pub candidates: Option<fn(&RunConfig) -> usize>,
    /// The training loss on a batch, and what the learner does with it.
    pub forward: fn(&Learner, Views<'_>, &RunConfig) -> Forward,
    /// Its `metrics` (and what its views draw) on the probe.
    pub measure: fn(&Probed<'_>) -> Result<MethodExtras>,
}
