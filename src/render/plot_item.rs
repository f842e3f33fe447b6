//! The WGSL point renderer as an egui_plot item: it draws through a paint callback inside the
//! plot's frame with the plot's own bounds, so pan, zoom and auto-fit behave as for any plot
//! item, and the legend and hover label stay egui_plot's.

use super::points::{PointInstance, PointsCallback};
use eframe::egui_wgpu;
use egui::{Color32, Shape, Ui};
use egui_plot::{PlotBounds, PlotGeometry, PlotItem, PlotItemBase, PlotPoint, PlotTransform};
use std::ops::RangeInclusive;
use std::sync::Arc;

pub struct GpuPoints {
    base: PlotItemBase,
    points: Arc<Vec<PointInstance>>,
    bounds: PlotBounds,
    radius: f32,
    opacity: f32,
}

impl GpuPoints {
    pub fn new(points: Arc<Vec<PointInstance>>, radius: f32, opacity: f32) -> Self {
        let mut bounds = PlotBounds::NOTHING;
        for p in points.iter() {
            if p.position[0].is_finite() && p.position[1].is_finite() {
                bounds.extend_with(&PlotPoint::new(p.position[0], p.position[1]));
            }
        }
        Self {
            base: PlotItemBase::new(String::new()),
            points,
            bounds,
            radius,
            opacity,
        }
    }
}

impl PlotItem for GpuPoints {
    fn shapes(&self, _ui: &Ui, transform: &PlotTransform, shapes: &mut Vec<Shape>) {
        let frame = *transform.frame();
        let b = transform.bounds();
        let (min, max) = (b.min(), b.max());
        shapes.push(Shape::Callback(egui_wgpu::Callback::new_paint_callback(
            frame,
            PointsCallback {
                points: Arc::clone(&self.points),
                x: [min[0], max[0]],
                y: [min[1], max[1]],
                size_points: [frame.width(), frame.height()],
                radius_points: self.radius,
                opacity: self.opacity,
            },
        )));
    }

    fn initialize(&mut self, _x_range: RangeInclusive<f64>) {}

    fn allow_hover(&self) -> bool {
        false
    }

    fn color(&self) -> Color32 {
        Color32::TRANSPARENT
    }

    fn geometry(&self) -> PlotGeometry<'_> {
        PlotGeometry::None
    }

    fn bounds(&self) -> PlotBounds {
        self.bounds
    }

    fn base(&self) -> &PlotItemBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut PlotItemBase {
        &mut self.base
    }
}
