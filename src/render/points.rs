//! The WGSL point renderer (`shaders/points.wgsl`): one instanced quad per point, drawn into
//! egui's own render pass through an `egui_wgpu` paint callback, or into an offscreen texture
//! (tests, benchmarks). It draws 100k points in one call, where egui_plot builds a mesh per
//! point on the CPU every frame.

use eframe::egui_wgpu::{self, CallbackResources, CallbackTrait, ScreenDescriptor};
use eframe::wgpu;
use std::sync::Arc;

pub const SHADER: &str = include_str!("../../shaders/points.wgsl");

/// One point: where (plot coordinates) and its colour: straight alpha, gamma-encoded sRGB in
/// 0–1 (as `Color32` holds it; converted for an sRGB target).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PointInstance {
    pub position: [f32; 2],
    pub colour: [f32; 4],
}

const INSTANCE_BYTES: usize = std::mem::size_of::<PointInstance>();

/// The mapping of plot coordinates to the target and the sprite's look (`View` in the shader).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewUniform {
    pub scale: [f32; 2],
    pub offset: [f32; 2],
    pub viewport_px: [f32; 2],
    pub radius_px: f32,
    pub opacity: f32,
}

impl ViewUniform {
    /// Plot bounds `[x_min, x_max]` × `[y_min, y_max]` onto a `viewport_px` target.
    pub fn new(
        x: [f64; 2],
        y: [f64; 2],
        viewport_px: [f32; 2],
        radius_px: f32,
        opacity: f32,
    ) -> Self {
        let sx = 2.0 / (x[1] - x[0]).max(1e-12);
        let sy = 2.0 / (y[1] - y[0]).max(1e-12);
        Self {
            scale: [sx as f32, sy as f32],
            offset: [(-1.0 - x[0] * sx) as f32, (-1.0 - y[0] * sy) as f32],
            viewport_px,
            radius_px,
            opacity,
        }
    }

    /// Where a plot point lands on the target, in pixels from the top-left corner.
    pub fn to_pixel(&self, p: [f32; 2]) -> [f32; 2] {
        let ndc = [
            p[0] * self.scale[0] + self.offset[0],
            p[1] * self.scale[1] + self.offset[1],
        ];
        [
            (ndc[0] + 1.0) / 2.0 * self.viewport_px[0],
            (1.0 - ndc[1]) / 2.0 * self.viewport_px[1],
        ]
    }

    fn bytes(&self) -> Vec<u8> {
        [
            self.scale[0],
            self.scale[1],
            self.offset[0],
            self.offset[1],
            self.viewport_px[0],
            self.viewport_px[1],
            self.radius_px,
            self.opacity,
        ]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect()
    }
}

fn instance_bytes(points: &[PointInstance]) -> Vec<u8> {
    points
        .iter()
        .flat_map(|p| p.position.iter().chain(&p.colour))
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

/// The pipeline and its buffers, for one target format.
pub struct PointPipeline {
    pipeline: wgpu::RenderPipeline,
    bind_group: wgpu::BindGroup,
    uniform: wgpu::Buffer,
    instances: wgpu::Buffer,
    capacity: usize,
    count: u32,
    /// The target stores linear values (an `…Srgb` format): colours are decoded on upload.
    srgb_target: bool,
}

/// sRGB gamma-encoded 0–1 to linear.
fn decode_srgb(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

impl PointPipeline {
    pub fn new(device: &wgpu::Device, format: wgpu::TextureFormat) -> Self {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("points.wgsl"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("points view"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            }],
        });
        let uniform = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("points view"),
            size: 32,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("points view"),
            layout: &layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: uniform.as_entire_binding(),
            }],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("points"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let attributes = [
            wgpu::VertexAttribute {
                format: wgpu::VertexFormat::Float32x2,
                offset: 0,
                shader_location: 0,
            },
            wgpu::VertexAttribute {
                format: wgpu::VertexFormat::Float32x4,
                offset: 8,
                shader_location: 1,
            },
        ];
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("points"),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[Some(wgpu::VertexBufferLayout {
                    array_stride: INSTANCE_BYTES as u64,
                    step_mode: wgpu::VertexStepMode::Instance,
                    attributes: &attributes,
                })],
            },
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format,
                    blend: Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            multiview_mask: None,
            cache: None,
        });
        let capacity = 1024;
        Self {
            pipeline,
            bind_group,
            uniform,
            instances: Self::instance_buffer(device, capacity),
            capacity,
            count: 0,
            srgb_target: format.is_srgb(),
        }
    }

    fn instance_buffer(device: &wgpu::Device, capacity: usize) -> wgpu::Buffer {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("points instances"),
            size: (capacity * INSTANCE_BYTES) as u64,
            usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// Hand the points and the view to the GPU (the buffer grows as needed).
    pub fn upload(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        points: &[PointInstance],
        view: &ViewUniform,
    ) {
        if points.len() > self.capacity {
            self.capacity = points.len().next_power_of_two();
            self.instances = Self::instance_buffer(device, self.capacity);
        }
        queue.write_buffer(&self.uniform, 0, &view.bytes());
        if self.srgb_target {
            let linear: Vec<PointInstance> = points
                .iter()
                .map(|p| {
                    let [r, g, b, a] = p.colour;
                    PointInstance {
                        position: p.position,
                        colour: [decode_srgb(r), decode_srgb(g), decode_srgb(b), a],
                    }
                })
                .collect();
            queue.write_buffer(&self.instances, 0, &instance_bytes(&linear));
        } else if !points.is_empty() {
            queue.write_buffer(&self.instances, 0, &instance_bytes(points));
        }
        self.count = points.len() as u32;
    }

    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        if self.count == 0 {
            return;
        }
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.set_vertex_buffer(0, self.instances.slice(..));
        pass.draw(0..6, 0..self.count);
    }
}

/// An offscreen RGBA8 target with the pipeline: tests read its pixels, the benchmark times
/// its frames.
pub struct Offscreen {
    texture: wgpu::Texture,
    target: wgpu::TextureView,
    readback: wgpu::Buffer,
    pipeline: PointPipeline,
    size: [u32; 2],
    row: u32,
}

impl Offscreen {
    pub fn new(device: &wgpu::Device, size: [u32; 2]) -> Self {
        let format = wgpu::TextureFormat::Rgba8Unorm;
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("points offscreen"),
            size: wgpu::Extent3d {
                width: size[0],
                height: size[1],
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let target = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let row = (size[0] * 4).div_ceil(256) * 256;
        let readback = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("points readback"),
            size: (row * size[1]) as u64,
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        Self {
            texture,
            target,
            readback,
            pipeline: PointPipeline::new(device, format),
            size,
            row,
        }
    }

    /// Upload `points` and draw one frame over `background`; waits until the GPU is done.
    pub fn frame(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        points: &[PointInstance],
        view: &ViewUniform,
        background: [f64; 4],
    ) -> Result<(), String> {
        self.pipeline.upload(device, queue, points, view);
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
        {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("points offscreen"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &self.target,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color {
                            r: background[0],
                            g: background[1],
                            b: background[2],
                            a: background[3],
                        }),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            self.pipeline.draw(&mut pass);
        }
        queue.submit([encoder.finish()]);
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| format!("GPU poll: {e}"))
    }

    /// The last frame's pixels: `[height, width, 4]` bytes.
    pub fn read(&self, device: &wgpu::Device, queue: &wgpu::Queue) -> Result<Vec<u8>, String> {
        let [w, h] = self.size;
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
        encoder.copy_texture_to_buffer(
            wgpu::TexelCopyTextureInfo {
                texture: &self.texture,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            wgpu::TexelCopyBufferInfo {
                buffer: &self.readback,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(self.row),
                    rows_per_image: Some(h),
                },
            },
            wgpu::Extent3d {
                width: w,
                height: h,
                depth_or_array_layers: 1,
            },
        );
        queue.submit([encoder.finish()]);
        let slice = self.readback.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| format!("GPU poll: {e}"))?;
        rx.recv()
            .map_err(|e| format!("read-back: {e}"))?
            .map_err(|e| format!("read-back: {e}"))?;
        let out = {
            let data = slice
                .get_mapped_range()
                .map_err(|e| format!("read-back: {e:?}"))?;
            let mut out = Vec::with_capacity((w * h * 4) as usize);
            for y in 0..h as usize {
                let start = y * self.row as usize;
                out.extend_from_slice(&data[start..start + w as usize * 4]);
            }
            out
        };
        self.readback.unmap();
        Ok(out)
    }
}

/// Draw `points` into a fresh `size` RGBA8 texture cleared to `background`, and read it back:
/// `[height, width, 4]` bytes.
pub fn render_offscreen(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    points: &[PointInstance],
    view: &ViewUniform,
    size: [u32; 2],
    background: [f64; 4],
) -> Result<Vec<u8>, String> {
    let mut target = Offscreen::new(device, size);
    target.frame(device, queue, points, view, background)?;
    target.read(device, queue)
}

/// The egui paint callback: the points of the embedding view, in the plot's rectangle.
pub struct PointsCallback {
    pub points: Arc<Vec<PointInstance>>,
    pub x: [f64; 2],
    pub y: [f64; 2],
    /// The plot frame's size in points (the callback's rectangle).
    pub size_points: [f32; 2],
    pub radius_points: f32,
    pub opacity: f32,
}

impl CallbackTrait for PointsCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        screen: &ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        if let Some(pipeline) = resources.get_mut::<PointPipeline>() {
            let ppp = screen.pixels_per_point;
            let view = ViewUniform::new(
                self.x,
                self.y,
                [self.size_points[0] * ppp, self.size_points[1] * ppp],
                self.radius_points * ppp,
                self.opacity,
            );
            pipeline.upload(device, queue, &self.points, &view);
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        if let Some(pipeline) = resources.get::<PointPipeline>() {
            pipeline.draw(pass);
        }
    }
}

/// Register the pipeline with eframe's renderer (once, at start-up, when it renders with wgpu).
pub fn install(render_state: &egui_wgpu::RenderState) {
    let pipeline = PointPipeline::new(&render_state.device, render_state.target_format);
    render_state
        .renderer
        .write()
        .callback_resources
        .insert(pipeline);
}
