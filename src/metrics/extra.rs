//! The methods' own metrics (the `metrics.csv` columns after the common ones). Each is declared
//! once here with its column name and formula; each method lists the ones it reports beside
//! its loss (`methods/*.rs`, its `MethodSpec::metrics`), and its `measure` computes exactly those, in that order.

/// One method-specific metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Extra {
    Temperature,
    EmaMomentum,
    MiBound,
    RetrievalAcc,
    PredCos,
    Invariance,
    Redundancy,
    VicInvariance,
    VicVariance,
    VicCovariance,
    TeacherEntropy,
    Kl,
    Koleo,
    ZeroShotAcc,
}

impl Extra {
    /// The `metrics.csv` column.
    pub const fn name(self) -> &'static str {
        match self {
            // The effective τ: the setting's own name, so the column reads as the knob.
            Extra::Temperature => crate::config::Key::Temperature.name(),
            Extra::EmaMomentum => "ema_momentum",
            Extra::MiBound => "mi_bound",
            Extra::RetrievalAcc => "retrieval_acc",
            Extra::PredCos => "pred_cos",
            Extra::Invariance => "invariance",
            Extra::Redundancy => "redundancy",
            Extra::TeacherEntropy => "teacher_entropy",
            Extra::VicInvariance => "vic_invariance",
            Extra::VicVariance => "vic_variance",
            Extra::VicCovariance => "vic_covariance",
            Extra::Kl => "kl",
            Extra::Koleo => "koleo",
            Extra::ZeroShotAcc => "zero_shot_acc",
        }
    }

    /// What it is, as a formula (the hover text of its plot).
    pub const fn formula(self) -> &'static str {
        match self {
            Extra::Temperature => {
                "τ of the softmax over similarities (CLIP: 1 / the learned logit scale)"
            }
            Extra::EmaMomentum => {
                "m of the EMA teacher / key encoder, θ_t ← m·θ_t + (1 − m)·θ (after the schedule)"
            }
            Extra::MiBound => "ln N − loss: the InfoNCE lower bound on I(v1; v2), never above ln N",
            Extra::RetrievalAcc => {
                "fraction of probe images whose most similar probe caption (cosine) is their own"
            }
            Extra::PredCos => {
                "mean cos(predictor(ẑ₁), ẑ₂) on the probe: −(SimSiam's loss) at the probe"
            }
            Extra::Invariance => {
                "Σᵢ (1 − Cᵢᵢ)² with C the cross-correlation of the standardised views"
            }
            Extra::Redundancy => "Σᵢ≠ⱼ Cᵢⱼ² with C the cross-correlation of the standardised views",
            Extra::TeacherEntropy => {
                "mean over the probe of −Σₖ P_t(k) log P_t(k): 0 = one prototype, ln K = uniform"
            }
            Extra::Kl => "mean over the probe of KL(P_teacher ‖ P_student) = Σₖ P_t log(P_t / P_s)",
            Extra::VicInvariance => "mean squared error between the two views' embeddings",
            Extra::VicVariance => {
                "mean over dimensions of max(0, 1 − √(Var + 1e-4)), averaged over the views: 0 = every dimension spread, 1 = collapsed"
            }
            Extra::VicCovariance => {
                "Σᵢ≠ⱼ Cov(z)ᵢⱼ² / d, summed over the views: 0 = decorrelated dimensions"
            }
            Extra::Koleo => {
                "KoLeo −(1/n) Σᵢ log minⱼ ‖ĥᵢ − ĥⱼ‖ on the probe's ℓ2-normalised representations: lower = nearest neighbours farther apart"
            }
            Extra::ZeroShotAcc => {
                "fraction of probe images whose nearest prompt embedding (cosine) names their shape, prompts from the caption vocabulary"
            }
        }
    }
}

impl std::fmt::Display for Extra {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
