//! The wgpu training path, run on whatever adapter exists (Mesa's lavapipe in CI): a few steps
//! train, and since weights come from the run's own seeded RNG, both backends start from the
//! same weights and agree on the loss of the same batches. This also checks the CPU's own
//! paths against the plain autodiff ones the GPU runs: SimCLR's and MoCo's fused host losses,
//! SimSiam's views on two cores.

use contrastive_lab::config::{DatasetKind, Method, RunConfig};
use contrastive_lab::data::{self, Sampler};
use contrastive_lab::methods::Learner;
use contrastive_lab::rng::Rng;
use contrastive_lab::train::{DeviceChoice, TrainDevice, device};

#[test]
fn wgpu_trains_and_agrees_with_the_cpu_backend() {
    let gpu = match device::select(DeviceChoice::Wgpu) {
        Ok(d) => d,
        Err(e) if std::env::var_os("CONTRASTIVE_LAB_SKIP_WGPU").is_some() => {
            eprintln!("skipping: {e}");
            return;
        }
        Err(e) => panic!(
            "no wgpu adapter: {e} (install mesa-vulkan-drivers, or set CONTRASTIVE_LAB_SKIP_WGPU=1)"
        ),
    };
    println!("wgpu device: {}", gpu.label);
    let cpu = TrainDevice::cpu();
    for method in [Method::SimClr, Method::Moco, Method::SimSiam] {
        let mut config = RunConfig::for_method(method);
        config.dataset = DatasetKind::Blobs;
        config.batch_size = 32;
        config.queue_size = 256;
        let source = data::build(&config).unwrap_or_else(|e| panic!("{e}"));
        let mut sampler = Sampler::new(source.len(), 0);
        let mut rng = Rng::new(0);
        let batches: Vec<_> = (0..3)
            .map(|_| sampler.next_batch(source.as_ref(), config.batch_size, 1.0, &mut rng))
            .collect();
        let mut on_cpu = Learner::new(&config, source.as_ref(), &cpu.device);
        let mut on_gpu = Learner::new(&config, source.as_ref(), &gpu.device);
        for (step, batch) in batches.iter().enumerate() {
            let loss = |learner: &mut Learner| {
                learner
                    .step(batch, &config, step)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .unwrap_or_else(|e| panic!("{e}"))
                    .loss
            };
            let (a, b) = (loss(&mut on_cpu), loss(&mut on_gpu));
            println!("{method} step {step}: cpu loss {a:.6}, wgpu loss {b:.6}");
            assert!(b.is_finite());
            assert!(
                (a - b).abs() < 1e-3 * a.abs().max(1.0),
                "{method} step {step}: cpu {a} vs wgpu {b}"
            );
        }
    }
}
