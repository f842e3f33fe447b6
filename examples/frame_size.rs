//! The window's frame over a run: vertices and indices the frame tessellates to, by panel
//! (controls, embedding, diagnostics, the rest), every 10 s of a headless run of the app
//! (egui_kittest) with 5 000 probe points and the t-SNE view.
use contrastive_lab::app::{AppOptions, LabApp};
use contrastive_lab::config::RunConfig;
use contrastive_lab::train::DeviceChoice;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::time::{Duration, Instant};

fn main() {
    let minutes: u64 = std::env::args()
        .nth(1)
        .and_then(|m| m.parse().ok())
        .unwrap_or(3);
    let config = RunConfig {
        probe_size: 5000,
        ..RunConfig::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .wgpu()
        .build_eframe(move |cc| {
            LabApp::new(
                cc,
                AppOptions {
                    device: DeviceChoice::Cpu,
                    fresh: true,
                    config: Some(config),
                    ..Default::default()
                },
            )
        });
    h.run_steps(5);
    h.get_by_label("t-SNE").click();
    let start = Instant::now();
    let mut next = Duration::ZERO;
    while start.elapsed() < Duration::from_secs(60 * minutes) {
        h.step();
        std::thread::sleep(Duration::from_millis(30));
        if start.elapsed() >= next {
            next += Duration::from_secs(10);
            let out = h.output().clone();
            let prims = h.ctx.tessellate(out.shapes, out.pixels_per_point);
            let mut by = [(0usize, 0usize); 4];
            for p in &prims {
                let x = p.clip_rect.center().x;
                let y = p.clip_rect.center().y;
                let k = if y > 620.0 {
                    3
                } else if x < 270.0 {
                    0
                } else if x < 750.0 {
                    1
                } else {
                    2
                };
                if let egui::epaint::Primitive::Mesh(m) = &p.primitive {
                    by[k].0 += m.vertices.len();
                    by[k].1 += m.indices.len() / 3;
                }
            }
            let a = h.state();
            println!(
                "{:4.0}s step {:6} rows {:5} | controls {:?} embedding {:?} diagnostics {:?} rest {:?} (vertices, triangles)",
                start.elapsed().as_secs_f64(),
                a.status().step,
                a.history().len(),
                by[0],
                by[1],
                by[2],
                by[3]
            );
        }
    }
}
