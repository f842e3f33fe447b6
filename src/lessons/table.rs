//! The lessons, one declarative table: each a start configuration, the one change, what to
//! say and watch, the question asked first, and the check (see [`super::checks`]).

use super::checks::*;
use super::{Check, Lesson, Phenomenon, Question, SweepCheck};
use crate::config::{Centering, DatasetKind, Method, Setting};

pub const LESSONS: &[Lesson] = &[
    Lesson {
        id: "temperature",
        title: "InfoNCE: the temperature shapes the sphere",
        explanation: "SimCLR's loss is a softmax over cosine similarities divided by the temperature τ. \
            At τ = 1 the softmax is soft: every negative pushes a little and the embedding stays clumped. \
            At a low τ the softmax concentrates on the closest negatives, which are pushed hard: \
            the embedding spreads more uniformly over the sphere (Wang & Liu 2021).",
        change: "Drag the temperature from 1.0 down to 0.05.",
        watch: "Uniformity falls (the embedding spreads over the sphere); in \"What the loss sees\" the softmax rows sharpen onto the positives.",
        method: Method::SimClr,
        dataset: DatasetKind::Digits,
        start: &[Setting::Temperature(1.0)],
        at: 300,
        changes: &[Setting::Temperature(0.05)],
        steps: 900,
        check: Check::Change(more_uniform),
        phenomenon: Phenomenon::Uniformity,
        question: Question {
            prompt: "What will lowering τ from 1.0 to 0.05 do to the embedding?",
            choices: &[
                "pull every point together",
                "spread the points more evenly over the sphere",
                "nothing visible",
            ],
            answer: 1,
            why: "A low τ weights the hardest negatives most, so InfoNCE pushes every point away from its nearest others: the embedding spreads (uniformity falls).",
        },
    },
    Lesson {
        id: "simsiam-stop-gradient",
        title: "SimSiam without stop-gradient collapses",
        explanation: "SimSiam has no negatives: it only pulls two views together, through a predictor, \
            with the gradient stopped on the target branch. Without the stop-gradient, the easiest way \
            to make two views agree is to map everything to one point: the loss reaches its minimum (-1) \
            while the representation carries nothing.",
        change: "Untick stop-gradient.",
        watch: "The loss drops to -1 (it looks like success) while the collapse gauge sinks: std·√d of the embedding falls towards 0 and RankMe to about 2. (kNN on the encoder's features can hold for a while: the collapse starts at the output.)",
        method: Method::SimSiam,
        dataset: DatasetKind::Blobs,
        start: &[],
        at: 100,
        changes: &[Setting::StopGradient(false)],
        steps: 1500,
        check: Check::Change(spread_falls),
        phenomenon: Phenomenon::CompleteCollapse,
        question: Question {
            prompt: "Without stop-gradient, what will the loss do?",
            choices: &[
                "rise: the task gets harder",
                "fall to -1, looking like success",
                "stay where it is",
            ],
            answer: 1,
            why: "Both branches can now move towards each other: mapping every input to one vector makes the two views agree perfectly, so the loss reaches -1 while the embedding collapses.",
        },
    },
    Lesson {
        id: "simsiam-predictor",
        title: "SimSiam without a predictor collapses",
        explanation: "Stop-gradient alone is not enough: SimSiam also needs the predictor head between \
            the two branches. Without it, the online branch is asked to match a copy of itself, and the \
            constant solution wins again.",
        change: "Untick predictor.",
        watch: "std·√d falls towards 0 and the spectrum loses its dimensions (RankMe falls to about 2).",
        method: Method::SimSiam,
        dataset: DatasetKind::Blobs,
        start: &[],
        at: 100,
        changes: &[Setting::Predictor(false)],
        steps: 1500,
        check: Check::Change(spread_falls),
        phenomenon: Phenomenon::CompleteCollapse,
        question: Question {
            prompt: "Without the predictor, will SimSiam still learn?",
            choices: &[
                "yes, the stop-gradient is enough",
                "no, it collapses",
                "it learns faster",
            ],
            answer: 1,
            why: "With no predictor the two branches are the same function and the stop-gradient no longer separates them: the constant solution wins.",
        },
    },
    Lesson {
        id: "byol-predictor-momentum",
        title: "BYOL: predictor and momentum target keep it alive",
        explanation: "BYOL learns without negatives because the target is a slow moving average of the \
            online network and the online side has a predictor. Remove the predictor and make the target \
            follow the online network at once (momentum 0), and nothing prevents the constant solution \
            (the paper reports 0.2–0.3 % accuracy for these variants).",
        change: "Untick predictor and set the target momentum to 0.",
        watch: "std·√d falls towards 0 and the spectrum loses its dimensions (RankMe falls to about 2).",
        method: Method::Byol,
        dataset: DatasetKind::Blobs,
        start: &[],
        at: 100,
        changes: &[Setting::Predictor(false), Setting::Momentum(0.0)],
        steps: 1000,
        check: Check::Change(spread_falls),
        phenomenon: Phenomenon::CompleteCollapse,
        question: Question {
            prompt: "Without predictor and with momentum 0, what happens?",
            choices: &["BYOL keeps learning", "it collapses", "the loss explodes"],
            answer: 1,
            why: "With no predictor and the target a copy of the online net, nothing breaks the symmetry that makes a constant output a perfect, trivial solution.",
        },
    },
    Lesson {
        id: "byol-batch-norm",
        title: "BYOL without batch norm collapses",
        explanation: "BYOL has no negatives. Fetterman & Albrecht (2020) found that BYOL without batch norm \
            in its projector and predictor collapses, and suggested that batch norm's batch statistics act \
            as implicit negatives (each output depends on the whole batch). Here too: switch both off and \
            the embedding shrinks to a point. Batch statistics are not the only cure: Richemond et al. \
            (2020) trained BYOL without them, with group norm, weight standardisation and a careful \
            initialisation. Ask the class whether it is the batch statistics that matter: with \
            norm = layer (per-sample statistics, no coupling across the batch) BYOL collapses here as well \
            (std·√d 0.07 after 800 steps, seed 3). Timing matters: switched off at step 50, before the \
            clusters have formed, BYOL collapses within 50 steps; switched off at step 100 it drifts \
            (std·√d 0.84 -> 0.67 by step 1000).",
        change: "Untick norm in projector and norm in predictor (batch norm, the default kind).",
        watch: "On the sphere view the clusters converge to one spot: std·√d falls below 0.1 within 200 steps and RankMe of z to about 2. Leave it running: from about step 1200 the points come apart again, in a few tight clumps along two or three directions (std·√d back to 0.5, kNN to 0.9, RankMe still 2–3 against 9 with batch norm): the complete collapse turns into a dimensional one.",
        method: Method::Byol,
        dataset: DatasetKind::Blobs,
        start: &[],
        at: 50,
        changes: &[Setting::ProjectorBn(false), Setting::PredictorBn(false)],
        steps: 600,
        check: Check::Change(spread_falls),
        phenomenon: Phenomenon::CompleteCollapse,
        question: Question {
            prompt: "BYOL has no negatives. Without batch norm, will it still learn?",
            choices: &[
                "yes: the predictor and the EMA target are enough",
                "no: it collapses",
                "it learns faster",
            ],
            answer: 1,
            why: "Here the predictor and the slow target alone do not hold the embedding apart: without batch norm BYOL finds the constant solution, as Fetterman & Albrecht reported.",
        },
    },
    Lesson {
        id: "simclr-batch-norm",
        title: "SimCLR without batch norm does not collapse",
        explanation: "If batch norm prevented collapse by acting as implicit negatives, a method with explicit \
            negatives should not need it. SimCLR's InfoNCE pushes every sample away from the other 2N − 2 \
            views of the batch: switch the projector's batch norm off and the embedding stays spread, \
            clusters and all. Compare with BYOL, which collapses without it: negatives make batch norm \
            unnecessary for SimCLR.",
        change: "Untick norm in projector (batch norm, the default kind).",
        watch: "Nothing collapses: std·√d stays near 1 and kNN accuracy at 1 (compare the lesson 'BYOL without batch norm').",
        method: Method::SimClr,
        dataset: DatasetKind::Blobs,
        start: &[],
        at: 100,
        changes: &[Setting::ProjectorBn(false)],
        steps: 800,
        check: Check::Change(spread_holds),
        phenomenon: Phenomenon::NoCollapse,
        question: Question {
            prompt: "Will SimCLR collapse without batch norm, like BYOL does?",
            choices: &[
                "yes, like BYOL",
                "no: its negatives keep it spread",
                "it stops learning",
            ],
            answer: 1,
            why: "The negatives in InfoNCE push samples apart explicitly; batch norm's coupling of the batch is not what keeps SimCLR alive.",
        },
    },
    Lesson {
        id: "moco-momentum",
        title: "MoCo needs a slowly moving key encoder",
        explanation: "MoCo compares each query with one positive key and a queue of thousands of keys \
            from earlier batches. The keys come from a key encoder that follows the query encoder slowly \
            (momentum 0.99), so keys of different ages stay comparable. With momentum 0 the key encoder \
            jumps with every step and the queue holds keys from many different encoders: the paper \
            reports that training then fails, and here the embedding collapses within about 100 steps.",
        change: "Set the key-encoder momentum to 0.",
        watch: "The loss climbs to ln(queue + 1) (about 8.3: guessing), std·√d falls towards 0, RankMe to 1, and kNN accuracy decays.",
        method: Method::Moco,
        dataset: DatasetKind::Blobs,
        start: &[],
        at: 100,
        changes: &[Setting::Momentum(0.0)],
        steps: 600,
        check: Check::Change(spread_falls),
        phenomenon: Phenomenon::CompleteCollapse,
        question: Question {
            prompt: "With momentum 0, what will the loss do?",
            choices: &[
                "fall: the keys match the queries better",
                "climb towards ln(K + 1), guessing",
                "stay the same",
            ],
            answer: 1,
            why: "The queue holds keys from many different encoders: with momentum 0 they no longer match the current one, the negatives become inconsistent and the task degrades to guessing.",
        },
    },
    Lesson {
        id: "dino-centering",
        title: "DINO without centering: a few prototypes take over",
        explanation: "DINO's teacher output is centred (a running mean is subtracted) and sharpened (a \
            low temperature). Centering stops prototypes from dominating; without it sharpening alone \
            makes every teacher output one-hot on fewer and fewer prototypes, and the student copies it. \
            The paper reports the end point: one prototype, a constant output. At this toy scale the \
            class sees the way there: by step 600 the probe samples shown use 5 winning prototypes \
            instead of 10 (4.4 instead of 17.5 in effective number).",
        change: "Set centering to off.",
        watch: "In \"What the loss sees\" (teacher vs student) every teacher row turns one-hot and fewer columns light up (prototypes in use falls); teacher entropy and KL(teacher || student) fall towards 0: the student agrees with a teacher that tells less and less apart.",
        method: Method::Dino,
        dataset: DatasetKind::Blobs,
        start: &[],
        at: 100,
        changes: &[Setting::Centering(Centering::Off)],
        steps: 600,
        check: Check::Change(one_prototype_wins),
        phenomenon: Phenomenon::OnePrototype,
        question: Question {
            prompt: "Without centering, how many prototypes will the teacher use?",
            choices: &["more of them", "fewer: a few take over", "the same number"],
            answer: 1,
            why: "Centering is what stops one prototype from dominating; sharpening alone pushes every teacher row onto its largest logit.",
        },
    },
    Lesson {
        id: "dino-sharpening",
        title: "DINO without sharpening: the output goes uniform",
        explanation: "Centering pushes towards a uniform output; sharpening (the teacher's low \
            temperature) pushes the other way. Without sharpening (teacher temperature = student's), \
            centering wins: every prototype gets the same probability for every input.",
        change: "Untick sharpening.",
        watch: "Teacher entropy rises to ln K (the uniform distribution) and KL(teacher || student) falls towards 0.",
        method: Method::Dino,
        dataset: DatasetKind::Blobs,
        start: &[],
        at: 100,
        changes: &[Setting::Sharpening(false)],
        steps: 600,
        check: Check::Change(output_goes_uniform),
        phenomenon: Phenomenon::UniformOutput,
        question: Question {
            prompt: "Without sharpening, what will the teacher output look like?",
            choices: &[
                "one-hot on a prototype",
                "uniform over the prototypes",
                "unchanged",
            ],
            answer: 1,
            why: "Centering alone pushes the output towards uniform; without a low teacher temperature nothing pulls it back.",
        },
    },
    Lesson {
        id: "dinov2",
        title: "DINOv2: Sinkhorn-Knopp centering and the KoLeo regulariser",
        explanation: "DINOv2 keeps DINO's teacher and student and changes two things. Sinkhorn-Knopp replaces \
            the running centre: the teacher's outputs on each batch are rescaled, three times over, so that \
            every prototype gets an equal share of the batch; no memory of earlier batches, and no prototype \
            can take over. KoLeo (weight 0.1) pushes each sample's representation away from its nearest \
            neighbour (the Kozachenko-Leonenko entropy estimator): the representation fills more directions.",
        change: "Set centering to sinkhorn and the KoLeo weight to 0.1.",
        watch: "In \"What the loss sees\" (teacher vs student) the teacher's rows keep using many prototypes: teacher entropy holds at about half of ln K, where DINO's running centre lets it fall to a tenth; the koleo plot falls (the representations' nearest neighbours farther apart) and RankMe of h rises.",
        method: Method::Dino,
        dataset: DatasetKind::Blobs,
        start: &[],
        at: 100,
        changes: &[Setting::Centering(Centering::Sinkhorn), Setting::Koleo(0.1)],
        steps: 600,
        check: Check::Change(prototypes_balance),
        phenomenon: Phenomenon::BalancedPrototypes,
        question: Question {
            prompt: "DINO's teacher narrows onto fewer prototypes as it trains. With Sinkhorn-Knopp instead of the running centre, what will its entropy do?",
            choices: &[
                "fall the same way",
                "hold: every prototype keeps a share of the batch",
                "fall to 0 at once",
            ],
            answer: 1,
            why: "Sinkhorn-Knopp makes every prototype's share of each batch equal: the teacher cannot settle on a few.",
        },
    },
    Lesson {
        id: "barlow-invariance-only",
        title: "Barlow Twins without redundancy reduction: dimensional collapse",
        explanation: "Barlow Twins drives the cross-correlation of two views' embeddings to the identity: \
            the diagonal to 1 (invariance) and the off-diagonal to 0 (redundancy reduction, weighted by λ). \
            With λ = 0 only invariance is left: the dimensions may all carry the same signal, and the \
            embedding spans ever fewer directions without collapsing to a point.",
        change: "Set λ to 0.",
        watch: "RankMe and the singular-value spectrum: the tail of the spectrum drops and the effective rank falls.",
        method: Method::Barlow,
        dataset: DatasetKind::Blobs,
        start: &[],
        at: 100,
        changes: &[Setting::Lambda(0.0)],
        steps: 1000,
        check: Check::Change(rank_falls),
        phenomenon: Phenomenon::DimensionalCollapse,
        question: Question {
            prompt: "With λ = 0 (no redundancy term), what will the spectrum do?",
            choices: &["stay flat", "lose its tail: fewer dimensions used", "grow"],
            answer: 1,
            why: "The invariance term alone is satisfied by a few redundant dimensions; nothing asks the others to carry different information.",
        },
    },
    Lesson {
        id: "vicreg-variance",
        title: "VICReg without the variance term collapses",
        explanation: "VICReg pulls the two views together (invariance: a mean squared error), keeps every \
            embedding dimension's standard deviation over the batch at 1 or more (variance: a hinge), and \
            decorrelates the dimensions (covariance). Set the variance weight to 0: a constant embedding \
            has zero invariance loss and zero covariance, so nothing stops the collapse. The variance term \
            measures exactly what the collapse gauge shows: how spread each dimension is.",
        change: "Set the variance weight μ to 0.",
        watch: "On the sphere view the clusters converge: std·√d falls towards 0 while vic_variance (the hinge, now unweighted) climbs to 1 and the loss falls (it looks like success).",
        method: Method::Vicreg,
        dataset: DatasetKind::Blobs,
        start: &[],
        at: 100,
        changes: &[Setting::VarianceWeight(0.0)],
        steps: 1000,
        check: Check::Change(spread_falls),
        phenomenon: Phenomenon::CompleteCollapse,
        question: Question {
            prompt: "Without the variance term, what will the loss do?",
            choices: &[
                "rise: the views disagree",
                "fall, while the embedding collapses",
                "stay the same",
            ],
            answer: 1,
            why: "A constant embedding makes the invariance and covariance terms 0: the loss can only fall, and it falls by collapsing.",
        },
    },
    Lesson {
        id: "clip-temperature",
        title: "CLIP: images meet captions once the temperature is right",
        explanation: "CLIP trains an image encoder and a text encoder together so that each image's \
            embedding is closest to its own caption's among the batch (a symmetric InfoNCE over the \
            image-caption similarity matrix). With the temperature fixed at 1 the softmax is too soft: \
            the matching caption barely stands out, and retrieval crawls. CLIP learns its temperature, \
            starting from 0.07.",
        change: "Set the temperature to 0.07 and tick learnable temperature.",
        watch: "Image->caption retrieval accuracy climbs (it crawled at τ = 1) while the learned τ drifts below 0.07; the positive cosine separates from the negatives.",
        method: Method::Clip,
        dataset: DatasetKind::Shapes,
        start: &[
            Setting::LearnableTemperature(false),
            Setting::Temperature(1.0),
        ],
        at: 200,
        changes: &[
            Setting::Temperature(0.07),
            Setting::LearnableTemperature(true),
        ],
        steps: 600,
        check: Check::Change(retrieval_climbs),
        phenomenon: Phenomenon::Retrieval,
        question: Question {
            prompt: "After lowering τ to 0.07, will retrieval get better or worse?",
            choices: &["better", "worse", "no change"],
            answer: 0,
            why: "At τ = 1 the softmax is too flat to single out the right caption; a low, learned τ sharpens it and images find their captions.",
        },
    },
    Lesson {
        id: "temperature-sweep",
        title: "A sweep of τ: uniformity against tolerance",
        explanation: "Six SimCLR runs on digits, one per temperature τ (0.05, 0.1, 0.2, 0.5, 1, 2), from the same \
            start and seed, side by side. A small τ spreads the embedding over the sphere: uniformity is \
            lowest near τ = 0.1 (-3.42 to -3.50 over seeds 0-2 at 900 steps), but the two views of a sample \
            stay further apart (alignment 0.31-0.34). A large τ aligns them tightly (0.073 at τ = 2) and \
            tolerates samples of a class close together, at the cost of uniformity (-2.45): Wang & Liu \
            (2021)'s uniformity-tolerance dilemma. Below τ = 0.1 the trend bends back a little (τ = 0.05: \
            -3.19 to -3.23, alignment 0.25).",
        change: "Nothing to drag: the six runs train side by side, one panel per τ. Read the curve at the top right and switch it between kNN accuracy, uniformity and alignment.",
        watch: "The panels: at τ ≥ 0.5 the classes gather into separate clusters; at τ ≤ 0.2 they mix in one cloud, spread over more directions than one plane shows. The curve: from τ = 0.1 to 2 uniformity rises and alignment falls; kNN accuracy moves least.",
        method: Method::SimClr,
        dataset: DatasetKind::Digits,
        start: &[],
        at: 0,
        changes: &[],
        steps: 900,
        check: Check::Sweep(SweepCheck {
            key: crate::config::Key::Temperature,
            values: &["0.05", "0.1", "0.2", "0.5", "1", "2"],
            seeds: 1,
            check: uniformity_against_tolerance,
        }),
        phenomenon: Phenomenon::UniformityTolerance,
        question: Question {
            prompt: "Where will kNN accuracy peak?",
            choices: &[
                "at the smallest τ (0.05)",
                "in the middle (τ = 0.1 to 1)",
                "at the largest τ (2)",
            ],
            answer: 1,
            why: "Measured over seeds 0-2 at 900 steps: kNN is highest between τ = 0.1 and 1 (which of them wins changes with the seed) and lowest at both ends (τ = 2: 0.913-0.937, τ = 0.05: 0.917-0.947). Too small a τ pushes samples of a class apart, too large a τ separates the classes less; the differences (1-3 points) are small next to those in uniformity and alignment.",
        },
    },
];
