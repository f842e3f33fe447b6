//! Which device trains: `auto` takes a real GPU adapter when wgpu finds one, else Burn's
//! pure-Rust CPU backend (`flex`). A software adapter (Mesa's lavapipe) is never chosen by
//! `auto`: it is 20× slower than flex here, though `--device wgpu` still runs on it. The
//! browser lab trains on flex only (`gpu`, the wgpu part, is the desktop's).

use crate::error::{LabError, Result};
use burn::tensor::Device;
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    #[default]
    Auto,
    Cpu,
    Wgpu,
}

impl FromStr for DeviceChoice {
    type Err = LabError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(DeviceChoice::Auto),
            "cpu" | "flex" => Ok(DeviceChoice::Cpu),
            "wgpu" | "gpu" => Ok(DeviceChoice::Wgpu),
            _ => Err(LabError::invalid(
                "--device",
                s,
                "expected auto, cpu or wgpu",
            )),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceChoice::Auto => "auto",
            DeviceChoice::Cpu => "cpu",
            DeviceChoice::Wgpu => "wgpu",
        })
    }
}

/// The device a run trains on, with a human-readable description.
#[derive(Clone, Debug)]
pub struct TrainDevice {
    /// Base device (no autodiff).
    pub device: Device,
    /// "CPU (flex)" or "wgpu: <adapter> (<type>, <backend>)".
    pub label: String,
    /// Short form for bench lines: `cpu` or `wgpu`.
    pub short: &'static str,
    /// A software rasteriser/compute adapter (lavapipe, llvmpipe …).
    pub software: bool,
}

impl TrainDevice {
    pub fn cpu() -> Self {
        Self {
            device: Device::flex(),
            label: "CPU (flex)".into(),
            short: "cpu",
            software: false,
        }
    }
}

/// Open the device `choice` asks for.
pub fn select(choice: DeviceChoice) -> Result<TrainDevice> {
    match choice {
        DeviceChoice::Cpu => Ok(TrainDevice::cpu()),
        #[cfg(not(target_arch = "wasm32"))]
        gpu_choice => gpu::select(gpu_choice),
        #[cfg(target_arch = "wasm32")]
        DeviceChoice::Auto => Ok(TrainDevice::cpu()),
        #[cfg(target_arch = "wasm32")]
        DeviceChoice::Wgpu => Err(LabError::Device(
            "the browser lab trains on the CPU (flex); the desktop app trains on a GPU".into(),
        )),
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod gpu;
#[cfg(not(target_arch = "wasm32"))]
pub use gpu::{AdapterSummary, adapters, full_device_descriptor, shared_with_window};
