//! The built-in lessons: `assets/lessons/*.toml`, embedded in the binary and read by the
//! parser a teacher's file goes through (a test reads the folder itself and checks that this
//! list holds every file in it).

use super::Lesson;

/// The files, in the order the Lessons menu lists them.
pub const FILES: [(&str, &str); 14] = [
    (
        "temperature.toml",
        include_str!("../../assets/lessons/temperature.toml"),
    ),
    (
        "simsiam-stop-gradient.toml",
        include_str!("../../assets/lessons/simsiam-stop-gradient.toml"),
    ),
    (
        "simsiam-predictor.toml",
        include_str!("../../assets/lessons/simsiam-predictor.toml"),
    ),
    (
        "byol-predictor-momentum.toml",
        include_str!("../../assets/lessons/byol-predictor-momentum.toml"),
    ),
    (
        "byol-batch-norm.toml",
        include_str!("../../assets/lessons/byol-batch-norm.toml"),
    ),
    (
        "simclr-batch-norm.toml",
        include_str!("../../assets/lessons/simclr-batch-norm.toml"),
    ),
    (
        "moco-momentum.toml",
        include_str!("../../assets/lessons/moco-momentum.toml"),
    ),
    (
        "dino-centering.toml",
        include_str!("../../assets/lessons/dino-centering.toml"),
    ),
    (
        "dino-sharpening.toml",
        include_str!("../../assets/lessons/dino-sharpening.toml"),
    ),
    (
        "dinov2.toml",
        include_str!("../../assets/lessons/dinov2.toml"),
    ),
    (
        "barlow-invariance-only.toml",
        include_str!("../../assets/lessons/barlow-invariance-only.toml"),
    ),
    (
        "vicreg-variance.toml",
        include_str!("../../assets/lessons/vicreg-variance.toml"),
    ),
    (
        "clip-temperature.toml",
        include_str!("../../assets/lessons/clip-temperature.toml"),
    ),
    (
        "temperature-sweep.toml",
        include_str!("../../assets/lessons/temperature-sweep.toml"),
    ),
];

/// Every built-in lesson that reads (a file that does not is left out and said on stderr: the
/// tests read them all, so a release never has one).
pub(super) fn load() -> Vec<Lesson> {
    FILES
        .iter()
        .filter_map(|(name, text)| {
            Lesson::from_toml(text, &format!("assets/lessons/{name}"))
                .map_err(|e| eprintln!("built-in lesson left out: {e}"))
                .ok()
        })
        .collect()
}
