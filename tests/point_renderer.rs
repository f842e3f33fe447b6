//! The WGSL point renderer draws into an offscreen texture (on lavapipe in CI), and each point
//! appears in its colour where the view maps it; what lies outside the view is not drawn.

use contrastive_lab::render::points::render_offscreen;
use contrastive_lab::render::{PointInstance, ViewUniform};
use eframe::wgpu;

fn gpu() -> Option<(wgpu::Device, wgpu::Queue)> {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::PRIMARY));
    // Prefer the software adapter: what CI has, and deterministic.
    let adapter = adapters
        .iter()
        .find(|a| a.get_info().device_type == wgpu::DeviceType::Cpu)
        .or(adapters.first())?;
    pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor::default())).ok()
}

#[test]
fn points_land_where_the_view_maps_them_in_their_colour() {
    let Some((device, queue)) = gpu() else {
        assert!(
            std::env::var_os("CONTRASTIVE_LAB_SKIP_WGPU").is_some(),
            "no wgpu adapter (install mesa-vulkan-drivers, or set CONTRASTIVE_LAB_SKIP_WGPU=1)"
        );
        return;
    };
    let red = [1.0, 0.0, 0.0, 1.0];
    let green = [0.0, 1.0, 0.0, 1.0];
    let blue = [0.0, 0.0, 1.0, 1.0];
    let points = vec![
        PointInstance {
            position: [-2.0, 1.0],
            colour: red,
        },
        PointInstance {
            position: [3.0, -1.5],
            colour: green,
        },
        PointInstance {
            position: [0.5, 0.0],
            colour: blue,
        },
        // Outside the view: must not appear.
        PointInstance {
            position: [50.0, 50.0],
            colour: red,
        },
    ];
    let size = [128u32, 96];
    let view = ViewUniform::new(
        [-4.0, 4.0],
        [-3.0, 3.0],
        [size[0] as f32, size[1] as f32],
        4.0,
        1.0,
    );
    let pixels = render_offscreen(&device, &queue, &points, &view, size, [0.0, 0.0, 0.0, 1.0])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pixels.len(), (size[0] * size[1] * 4) as usize);
    let at = |p: [f32; 2]| -> [u8; 4] {
        let [x, y] = p;
        let i = ((y as usize) * size[0] as usize + x as usize) * 4;
        [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]]
    };
    for (p, expect) in points[..3]
        .iter()
        .zip([[255, 0, 0], [0, 255, 0], [0, 0, 255]])
    {
        let px = view.to_pixel(p.position);
        let got = at(px);
        assert_eq!(
            [got[0], got[1], got[2]],
            expect,
            "point {:?} at pixel {px:?}",
            p.position
        );
        // Round: the sprite's corner (outside the radius) stays background.
        let corner = at([px[0] + 4.0, px[1] + 4.0]);
        assert_eq!(
            [corner[0], corner[1], corner[2]],
            [0, 0, 0],
            "corner of {:?}",
            p.position
        );
    }
    // (-2, 1) maps to x = 32, y = 32 on a 128 × 96 target with x in [-4, 4], y in [-3, 3].
    let [x, y] = view.to_pixel([-2.0, 1.0]);
    assert!(
        (x - 32.0).abs() < 1e-3 && (y - 32.0).abs() < 1e-3,
        "({x}, {y})"
    );
    // Background everywhere far from the points; nothing from the off-view point.
    let lit = pixels
        .chunks_exact(4)
        .filter(|p| p[0] > 20 || p[1] > 20 || p[2] > 20)
        .count();
    assert!(
        lit > 3 * 30 && lit < 3 * 80,
        "{lit} lit pixels for three discs of radius 4"
    );

    // Opacity and point size are applied.
    let faint = ViewUniform::new(
        [-4.0, 4.0],
        [-3.0, 3.0],
        [size[0] as f32, size[1] as f32],
        8.0,
        0.5,
    );
    let pixels = render_offscreen(
        &device,
        &queue,
        &points[..1],
        &faint,
        size,
        [0.0, 0.0, 0.0, 1.0],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let px = faint.to_pixel(points[0].position);
    let i = ((px[1] as usize) * size[0] as usize + px[0] as usize) * 4;
    assert!(
        (120..=135).contains(&pixels[i]),
        "half-opaque red over black: {}",
        pixels[i]
    );
    let j = ((px[1] as usize) * size[0] as usize + px[0] as usize + 6) * 4;
    assert!(pixels[j] > 100, "radius 8 reaches 6 pixels out");
}
