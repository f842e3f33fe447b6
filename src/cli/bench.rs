//! `contrastive-lab bench`: training steps/s per method on the chosen device, at the sizes of
//! the PyTorch reference (MLP 64→256→256, BN projector →64, batch 256), SimCLR on shapes with
//! the small CNN (3×16×16 images, channels 32/64, hidden 128, out 32), and PyTorch's own
//! steps/s on the same model and batch when torch is installed.

use super::BenchArgs;
use super::reference::{printed_number, python_has, reference_file};
use crate::config::{DatasetKind, Method, RunConfig};
use crate::data::{self, InputKind};
use crate::error::{LabError, Result};
use crate::model::Encoder;
use crate::model::encoder::CNN_CHANNELS;
use crate::train::{DeviceChoice, Session, TrainDevice, device};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

const WARMUP: usize = 10;

/// One measured case.
#[derive(Clone, Debug)]
pub struct BenchResult {
    pub method: Method,
    pub dataset: DatasetKind,
    pub device: &'static str,
    pub batch: usize,
    pub steps_per_s: f64,
}

impl BenchResult {
    /// `bench <method> <dataset> device=<d> batch=<b> steps_per_s=<x>`
    pub fn line(&self) -> String {
        format!(
            "bench {} {} device={} batch={} steps_per_s={:.1}",
            self.method, self.dataset, self.device, self.batch, self.steps_per_s
        )
    }
}

/// The reference sizes: digits are 64-dimensional like the torch script's inputs.
pub fn bench_config(method: Method, batch: usize) -> RunConfig {
    let mut c = RunConfig::for_method(method);
    c.dataset = method.required_dataset().unwrap_or(DatasetKind::Digits);
    c.hidden_dim = 256;
    c.feature_dim = 256;
    c.out_dim = 64;
    c.lambda = RunConfig::default_lambda(c.out_dim);
    c.batch_size = batch;
    c.projector_bn = true;
    c.probe_size = 200;
    c
}

/// SimCLR on shapes at the sizes of the reference's CNN (`--image 3,16,16 --channels 32,64
/// --hidden 128 --out 32`): its MLP after the convolutions is hidden → hidden.
pub fn image_bench_config(batch: usize) -> RunConfig {
    let mut c = bench_config(Method::SimClr, batch);
    c.dataset = DatasetKind::Shapes;
    c.hidden_dim = IMAGE_HIDDEN;
    c.feature_dim = IMAGE_HIDDEN;
    c.out_dim = IMAGE_OUT;
    c
}

const IMAGE_HIDDEN: usize = 128;
const IMAGE_OUT: usize = 32;

pub fn measure(config: RunConfig, steps: usize, dev: &TrainDevice) -> Result<BenchResult> {
    let (method, batch) = (config.method, config.batch_size);
    let dataset = config.dataset.clone();
    let mut session = Session::new(config, dev.clone())?;
    for _ in 0..WARMUP {
        session
            .step()?
            .map_err(|i| crate::cli::run::incident_error(&i))?;
    }
    let start = Instant::now();
    for _ in 0..steps {
        session
            .step()?
            .map_err(|i| crate::cli::run::incident_error(&i))?;
    }
    Ok(BenchResult {
        method,
        dataset,
        device: dev.short,
        batch,
        steps_per_s: steps as f64 / start.elapsed().as_secs_f64().max(1e-9),
    })
}

/// `../shared/bench/torch_reference.py` (or `$CONTRASTIVE_LAB_TORCH_REFERENCE`).
pub fn torch_script() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CONTRASTIVE_LAB_TORCH_REFERENCE") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    reference_file("../shared/bench/torch_reference.py")
}

pub fn torch_available() -> bool {
    python_has("torch")
}

/// PyTorch's steps/s for `method` at the same sizes: the MLP on 64-d vectors, or with `image`
/// (channels, height, width) the CNN, if the script and torch are there.
pub fn torch_steps_per_s(
    script: &PathBuf,
    method: Method,
    batch: usize,
    steps: usize,
    image: Option<[usize; 3]>,
) -> Result<f64> {
    let sizes: Vec<String> = match image {
        Some([c, h, w]) => {
            let [c1, c2] = CNN_CHANNELS;
            vec![
                "--image".into(),
                format!("{c},{h},{w}"),
                "--channels".into(),
                format!("{c1},{c2}"),
                "--hidden".into(),
                IMAGE_HIDDEN.to_string(),
                "--out".into(),
                IMAGE_OUT.to_string(),
            ]
        }
        None => ["--in-dim", "64", "--hidden", "256", "--out", "64"]
            .map(String::from)
            .to_vec(),
    };
    let out = Command::new("python3")
        .arg(script)
        .args(["--method", method.name()])
        .args(["--batch", &batch.to_string()])
        .args(sizes)
        .args(["--steps", &steps.to_string(), "--threads", "2"])
        .output()
        .map_err(|e| LabError::Device(format!("could not start python3: {e}")))?;
    printed_number(&out, "steps_per_s", "torch reference")
}

pub fn execute(args: &BenchArgs) -> Result<Vec<String>> {
    match args.case.as_deref() {
        None => {}
        Some("tsne") => {
            return super::bench_tsne::execute(args.n.unwrap_or(1000), args.iters, !args.no_torch);
        }
        Some("points") => {
            return super::bench_points::execute(args.n.unwrap_or(100_000), args.frames);
        }
        Some("sweep") => {
            let dev = device::select(args.device.parse()?)?;
            return super::bench_sweep::execute(args.n.unwrap_or(6), args.steps, &dev);
        }
        Some(other) => {
            return Err(LabError::invalid(
                "bench",
                other,
                "named benchmarks are `tsne`, `points` and `sweep` (without one, training is timed)",
            ));
        }
    }
    let choice: DeviceChoice = args.device.parse()?;
    let dev = device::select(choice)?;
    let methods: Vec<Method> = match &args.methods {
        Some(list) => list
            .split(',')
            .map(|m| m.parse())
            .collect::<Result<Vec<_>>>()?,
        None => Method::ALL.to_vec(),
    };
    println!("# device: {}", dev.label);
    if dev.software {
        println!(
            "# note: {} is a software adapter (e.g. Mesa's lavapipe): expect it to be far slower than `--device cpu`",
            dev.label
        );
    }
    let torch = (!args.no_torch && torch_available())
        .then(torch_script)
        .flatten();
    if !args.no_torch && torch.is_none() {
        println!(
            "# PyTorch comparison skipped (needs `pip install torch` and ../shared/bench/torch_reference.py)"
        );
    }
    // Each method on vectors; SimCLR also on images (the CNN), named `simclr-shapes`.
    let mut cases: Vec<(RunConfig, String)> = methods
        .iter()
        .map(|&m| (bench_config(m, args.batch), m.to_string()))
        .collect();
    if methods.contains(&Method::SimClr) {
        cases.push((image_bench_config(args.batch), "simclr-shapes".into()));
    }
    let mut lines = Vec::new();
    for (config, name) in cases {
        let method = config.method;
        // The CNN's input, for the reference's `--image C,H,W`.
        let image = match data::build(&config)?.input() {
            input @ InputKind::Image {
                channels,
                height,
                width,
            } if Encoder::is_cnn(input) => Some([channels, height, width]),
            _ => None,
        };
        let result = measure(config, args.steps, &dev)?;
        println!("{}", result.line());
        lines.push(result.line());
        let comparable = matches!(method, Method::SimClr | Method::SimSiam | Method::Byol);
        if let (Some(script), true) = (&torch, comparable) {
            match torch_steps_per_s(script, method, args.batch, args.steps.max(50), image) {
                Ok(t) => {
                    let line = format!(
                        "ratio {name} ours/torch={:.2} (torch steps_per_s={t:.1}, target ≥ 1.5)",
                        result.steps_per_s / t
                    );
                    println!("{line}");
                    lines.push(line);
                }
                Err(e) => println!("# torch {name}: {e}"),
            }
        }
    }
    Ok(lines)
}
