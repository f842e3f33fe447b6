//! Training on a GPU through wgpu (the desktop's): the adapters wgpu sees, opening one for Burn,
//! and sharing the window's own device.

use super::{DeviceChoice, TrainDevice};
use crate::error::{LabError, Result};
use burn::tensor::wgpu::wgpu;
use burn::tensor::{Device, DeviceKind};

/// A wgpu adapter as enumerated (without opening a device).
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    pub name: String,
    pub kind: wgpu::DeviceType,
    pub backend: wgpu::Backend,
}

impl AdapterSummary {
    pub fn is_real_gpu(&self) -> bool {
        matches!(
            self.kind,
            wgpu::DeviceType::DiscreteGpu
                | wgpu::DeviceType::IntegratedGpu
                | wgpu::DeviceType::VirtualGpu
        )
    }

    fn device_kind(&self, index: usize) -> DeviceKind {
        match self.kind {
            wgpu::DeviceType::DiscreteGpu => DeviceKind::DiscreteGpu(index),
            wgpu::DeviceType::IntegratedGpu => DeviceKind::IntegratedGpu(index),
            wgpu::DeviceType::VirtualGpu => DeviceKind::VirtualGpu(index),
            _ => DeviceKind::Cpu,
        }
    }
}

/// Every adapter wgpu can see, in its order.
pub fn adapters() -> Vec<AdapterSummary> {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::PRIMARY))
        .iter()
        .map(AdapterSummary::of)
        .collect()
}

impl AdapterSummary {
    pub fn of(adapter: &wgpu::Adapter) -> Self {
        let info = adapter.get_info();
        Self {
            name: info.name,
            kind: info.device_type,
            backend: info.backend,
        }
    }
}

/// What a window's renderer needs to ask of its adapter so that Burn can train on the same
/// device: all its features (but mappable primary buffers, which are slow on discrete GPUs)
/// and all its limits. egui's default request lacks features Burn's kernels use.
pub fn full_device_descriptor(adapter: &wgpu::Adapter) -> wgpu::DeviceDescriptor<'static> {
    wgpu::DeviceDescriptor {
        label: Some("contrastive-lab (window + training)"),
        required_features: adapter.features() - wgpu::Features::MAPPABLE_PRIMARY_BUFFERS,
        required_limits: adapter.limits(),
        ..Default::default()
    }
}

/// Train on the very device the window renders with: Burn gets the window's wgpu instance,
/// adapter, device and queue (which must have been created with [`full_device_descriptor`]).
pub fn shared_with_window(
    instance: wgpu::Instance,
    adapter: wgpu::Adapter,
    device: wgpu::Device,
    queue: wgpu::Queue,
) -> Result<TrainDevice> {
    let summary = AdapterSummary::of(&adapter);
    let window_device = device.clone();
    let setup = burn::tensor::wgpu::WgpuSetup {
        instance,
        adapter,
        device,
        queue,
        backend: summary.backend,
    };
    let device = Device::wgpu_options()
        .setup(setup)
        .init()
        .map_err(|e| LabError::Device(format!("training on the window's GPU failed: {e}")))?;
    // The first operation starts Burn's runtime, which installs a panicking handler for any
    // uncaptured wgpu error on the device. On a device shared with the window that would let
    // a transient surface error (a resize while a long kernel runs) take the app down: report
    // such errors instead.
    crate::methods::to_vec(burn::tensor::Tensor::<1>::zeros([1], &device))?;
    window_device.on_uncaptured_error(std::sync::Arc::new(|error| {
        eprintln!("wgpu error (reported, not fatal): {error}");
    }));
    Ok(TrainDevice {
        device,
        label: format!("{} - shared with the window", describe(&summary)),
        short: "wgpu",
        software: !summary.is_real_gpu(),
    })
}

fn describe(a: &AdapterSummary) -> String {
    let kind = match a.kind {
        wgpu::DeviceType::DiscreteGpu => "discrete GPU",
        wgpu::DeviceType::IntegratedGpu => "integrated GPU",
        wgpu::DeviceType::VirtualGpu => "virtual GPU",
        wgpu::DeviceType::Cpu => "software",
        wgpu::DeviceType::Other => "other",
    };
    format!("wgpu: {} ({kind}, {:?})", a.name, a.backend)
}

fn open_wgpu(adapter: Option<&AdapterSummary>, index: usize) -> Result<TrainDevice> {
    let kind = adapter
        .map(|a| a.device_kind(index))
        .unwrap_or(DeviceKind::DefaultDevice);
    let device = Device::wgpu_options()
        .device_kind(kind)
        .init()
        .map_err(|e| LabError::Device(format!("wgpu initialisation failed: {e}")))?;
    let software = adapter.is_none_or(|a| !a.is_real_gpu());
    Ok(TrainDevice {
        device,
        label: adapter
            .map(describe)
            .unwrap_or_else(|| "wgpu: default adapter".into()),
        short: "wgpu",
        software,
    })
}

/// Open the device `choice` asks for: a GPU adapter wgpu finds, or flex.
pub(super) fn select(choice: DeviceChoice) -> Result<TrainDevice> {
    match choice {
        DeviceChoice::Cpu => Ok(TrainDevice::cpu()),
        DeviceChoice::Auto => {
            let all = adapters();
            let Some((index, gpu)) = first_real_gpu(&all) else {
                return Ok(TrainDevice::cpu());
            };
            // A GPU that fails to open leaves us on the CPU rather than without a trainer.
            Ok(open_wgpu(Some(gpu), index).unwrap_or_else(|_| TrainDevice::cpu()))
        }
        DeviceChoice::Wgpu => {
            let all = adapters();
            match first_real_gpu(&all) {
                Some((index, gpu)) => open_wgpu(Some(gpu), index),
                None => match all.iter().position(|a| a.kind == wgpu::DeviceType::Cpu) {
                    Some(i) => {
                        let mut d = open_wgpu(Some(&all[i]), 0)?;
                        d.software = true;
                        Ok(d)
                    }
                    None if all.is_empty() => Err(LabError::Device(
                        "no wgpu adapter found (no GPU driver, and no software Vulkan such as Mesa's lavapipe)".into(),
                    )),
                    None => open_wgpu(None, 0),
                },
            }
        }
    }
}

/// The first real GPU and its index among adapters of its own type (how cubecl numbers them).
fn first_real_gpu(all: &[AdapterSummary]) -> Option<(usize, &AdapterSummary)> {
    let gpu = all.iter().find(|a| a.is_real_gpu())?;
    let index = all
        .iter()
        .filter(|a| a.kind == gpu.kind)
        .position(|a| a.name == gpu.name)
        .unwrap_or(0);
    Some((index, gpu))
}
