//! `contrastive-lab bench tsne --n N`: milliseconds per t-SNE iteration on one thread, and
//! openTSNE's Barnes–Hut on the same data when openTSNE is installed
//! (`benches/tsne_reference.py`); the projector's PCA of the same points, and numpy's
//! covariance + `eigh` fit when numpy is installed (`benches/pca_reference.py`).

use crate::error::{LabError, Result};
use crate::projection::tsne::{self, TsneParams};
use crate::rng::Rng;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

/// The benchmark's data: `n` points of 10 Gaussian clusters in R^64 (the probe's shape after a
/// little training), seeded.
pub fn bench_points(n: usize) -> Vec<f32> {
    const D: usize = 64;
    let mut rng = Rng::fork(7, "bench-tsne");
    let centres: Vec<f32> = (0..10 * D).map(|_| rng.normal()).collect();
    (0..n)
        .flat_map(|i| (0..D).map(move |j| (i, j)))
        .map(|(i, j)| centres[(i % 10) * D + j] + 0.5 * rng.normal())
        .collect()
}

/// Our ms per iteration after the exaggeration phase, at `n` points, and KL(P ‖ Q) after the
/// last of them (evaluated by that iteration, as openTSNE evaluates its last).
pub fn ms_per_iter(n: usize, iters: usize) -> Result<(f64, f64)> {
    let x = bench_points(n);
    let params = TsneParams::default();
    let mut t = tsne::fit(&x, n, 64, params, params.exaggeration_iters, 0)?;
    let start = Instant::now();
    for _ in 1..iters {
        t.step();
    }
    t.step_with_kl();
    let ms = start.elapsed().as_secs_f64() * 1000.0 / iters.max(1) as f64;
    Ok((ms, t.kl()))
}

/// The projector's PCA (two axes, orientation aligned) of the same points, in ms.
pub fn pca_ms(n: usize) -> Result<f64> {
    let x = bench_points(n);
    let mut previous = crate::projection::pca_2d(&x, n, 64, None)?;
    let reps = 20;
    let start = Instant::now();
    for _ in 0..reps {
        previous = crate::projection::pca_2d(&x, n, 64, Some(&previous))?;
    }
    Ok(start.elapsed().as_secs_f64() * 1000.0 / reps as f64)
}

/// Run the Python reference `script` on the benchmark's points (written to a CSV it reads
/// with `--data`), one thread, and read `key=<number>` for each of `keys` from its output.
fn python_reference(
    script: &PathBuf,
    n: usize,
    args: &[String],
    keys: &[&str],
    what: &str,
) -> Result<Vec<f64>> {
    let dir = std::env::temp_dir().join(format!("contrastive-lab-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| LabError::io(&dir, e))?;
    let data = dir.join("points.csv");
    let text: String = bench_points(n)
        .chunks_exact(64)
        .map(|row| {
            let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
            cells.join(",") + "\n"
        })
        .collect();
    std::fs::write(&data, text).map_err(|e| LabError::io(&data, e))?;
    let out = Command::new("python3")
        .arg(script)
        .arg("--data")
        .arg(&data)
        .args(args)
        .env("OMP_NUM_THREADS", "1")
        .env("OPENBLAS_NUM_THREADS", "1")
        .output()
        .map_err(|e| LabError::Device(format!("could not start python3: {e}")));
    let _ = std::fs::remove_dir_all(&dir);
    let out = out?;
    keys.iter()
        .map(|key| super::reference::printed_number(&out, key, what))
        .collect()
}

/// A reference's figure and the ratio to ours, as printed lines; or why it was skipped.
fn compared(
    (script, module): (&str, &str),
    measure: impl FnOnce(&PathBuf) -> Result<Vec<f64>>,
    lines: impl FnOnce(&[f64]) -> [String; 2],
) -> Vec<String> {
    let Some(script) = super::reference::reference_file(script) else {
        return vec![format!("# {script} not found: comparison skipped")];
    };
    if !super::reference::python_has(module) {
        return vec![format!(
            "# {module} comparison skipped (needs `pip install {module}`)"
        )];
    }
    match measure(&script) {
        Ok(theirs) => lines(&theirs).to_vec(),
        Err(e) => vec![format!("# {module}: {e}")],
    }
}

/// Print (and return) `bench tsne n=<N> ms_per_iter=<x>` and, with openTSNE, its figure and
/// the ratio.
pub fn execute(n: usize, iters: usize, compare: bool) -> Result<Vec<String>> {
    if n < 3 {
        return Err(LabError::invalid("n", n, "t-SNE needs at least 3 points"));
    }
    let (ours, kl) = ms_per_iter(n, iters)?;
    let pca = pca_ms(n)?;
    let mut lines = vec![
        format!("bench tsne n={n} ms_per_iter={ours:.3} kl={kl:.4}"),
        format!("bench pca n={n} d=64 ms={pca:.3}"),
    ];
    for line in &lines {
        println!("{line}");
    }
    if !compare {
        return Ok(lines);
    }
    let references = [
        compared(
            ("benches/tsne_reference.py", "openTSNE"),
            |script| {
                let args = ["--iters".to_string(), iters.to_string()];
                let keys = ["ms_per_iter", "kl"];
                python_reference(script, n, &args, &keys, "openTSNE reference")
            },
            |theirs| {
                let (ms, their_kl) = (theirs[0], theirs[1]);
                [
                    format!("bench opentsne n={n} ms_per_iter={ms:.3} kl={their_kl:.4}"),
                    format!(
                        "ratio tsne opentsne/ours={:.2} (> 1: ours is faster per iteration; target ≥ 1.5; KL ours {kl:.4}, openTSNE {their_kl:.4} after the same iterations)",
                        ms / ours
                    ),
                ]
            },
        ),
        compared(
            ("benches/pca_reference.py", "numpy"),
            |script| python_reference(script, n, &[], &["ms"], "numpy PCA reference"),
            |theirs| {
                let theirs = theirs[0];
                [
                    format!("bench numpy_pca n={n} d=64 ms={theirs:.3}"),
                    format!(
                        "ratio pca numpy/ours={:.2} (> 1: ours is faster; target ≥ 0.67, within 1.5× of numpy)",
                        theirs / pca
                    ),
                ]
            },
        ),
    ];
    for line in references.into_iter().flatten() {
        println!("{line}");
        if !line.starts_with('#') {
            lines.push(line);
        }
    }
    Ok(lines)
}
