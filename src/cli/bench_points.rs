//! `contrastive-lab bench points --n N`: the WGSL point renderer's frame cost (upload + draw of
//! `N` points into a 1280×800 target, waiting for the GPU) on the best wgpu adapter here.

use crate::error::{LabError, Result};
use crate::render::points::Offscreen;
use crate::render::{PointInstance, ViewUniform};
use crate::rng::Rng;
use eframe::wgpu;
use std::time::Instant;

pub const SIZE: [u32; 2] = [1280, 800];

/// `n` points of ten Gaussian clusters in the plane, coloured by cluster.
pub fn cloud(n: usize) -> Vec<PointInstance> {
    let mut rng = Rng::fork(11, "bench-points");
    let palette = crate::render::palette::PALETTE;
    (0..n)
        .map(|i| {
            let k = i % 10;
            let a = k as f32 / 10.0 * std::f32::consts::TAU;
            let c = palette[k].to_srgba_unmultiplied().map(|v| v as f32 / 255.0);
            PointInstance {
                position: [3.0 * a.cos() + rng.normal(), 3.0 * a.sin() + rng.normal()],
                colour: c,
            }
        })
        .collect()
}

/// The adapter a window would get: a real GPU if any, else the software one.
fn open() -> Result<(wgpu::Device, wgpu::Queue, String)> {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::PRIMARY));
    let adapter = adapters
        .iter()
        .find(|a| crate::train::device::AdapterSummary::of(a).is_real_gpu())
        .or(adapters.first())
        .ok_or_else(|| LabError::Device("no wgpu adapter found".into()))?;
    let info = adapter.get_info();
    let (device, queue) =
        pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor::default()))
            .map_err(|e| LabError::Device(format!("wgpu device: {e}")))?;
    Ok((
        device,
        queue,
        format!("{} ({:?})", info.name, info.device_type),
    ))
}

/// Milliseconds per frame at `n` points (after one warm-up frame), and the adapter's name.
pub fn ms_per_frame(n: usize, frames: usize) -> Result<(f64, String)> {
    let (device, queue, adapter) = open()?;
    let points = cloud(n);
    let view = ViewUniform::new(
        [-8.0, 8.0],
        [-5.0, 5.0],
        [SIZE[0] as f32, SIZE[1] as f32],
        2.5,
        1.0,
    );
    let mut target = Offscreen::new(&device, SIZE);
    let bg = [0.05, 0.05, 0.05, 1.0];
    target
        .frame(&device, &queue, &points, &view, bg)
        .map_err(LabError::Device)?;
    let start = Instant::now();
    for _ in 0..frames.max(1) {
        target
            .frame(&device, &queue, &points, &view, bg)
            .map_err(LabError::Device)?;
    }
    Ok((
        start.elapsed().as_secs_f64() * 1000.0 / frames.max(1) as f64,
        adapter,
    ))
}

/// Print (and return) `bench points n=<N> ms_per_frame=<x> fps=<y> adapter=<name>`.
pub fn execute(n: usize, frames: usize) -> Result<Vec<String>> {
    let (ms, adapter) = ms_per_frame(n, frames)?;
    let line = format!(
        "bench points n={n} ms_per_frame={ms:.3} fps={:.1} adapter={adapter}",
        1000.0 / ms.max(1e-9)
    );
    println!("{line}");
    if adapter.contains("Cpu") {
        println!(
            "# note: a software adapter (e.g. Mesa's lavapipe) rasterises on the CPU: a real GPU is far faster"
        );
    }
    Ok(vec![line])
}
