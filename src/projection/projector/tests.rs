use super::*;

#[test]
fn the_reader_never_waits_for_the_writer() {
    let p = Projector::start(None).unwrap_or_else(|e| panic!("{e}"));
    // The writer is (artificially) in the middle of swapping the layouts in: a reader
    // that waited for the lock would hang here.
    let held = lock(&p.shared.output);
    assert!(p.latest().is_none());
    drop(held);
    *lock(&p.shared.output) = Some(Arc::new(Layouts {
        step: 7,
        ..Layouts::default()
    }));
    assert_eq!(p.latest().map(|l| l.step), Some(7));
}

fn snap(z: Vec<f32>, dim: usize) -> Snapshot {
    Snapshot {
        z,
        dim,
        ..Snapshot::default()
    }
}

#[test]
fn drift_is_the_change_relative_to_the_spread_and_none_where_it_cannot_be_told() {
    // Four points at (±1, ±1): RMS spread √2 per point.
    let from = snap(vec![1.0, 1.0, -1.0, 1.0, 1.0, -1.0, -1.0, -1.0], 2);
    assert_eq!(drift(&from, &from), Some(0.0));
    // Every point moved by (0.1, 0.1): RMS change 0.1·√2, relative 0.1.
    let moved = snap(from.z.iter().map(|v| v + 0.1).collect(), 2);
    assert!(drift(&from, &moved).is_some_and(|d| (d - 0.1).abs() < 1e-6));
    // Scaled ×2: each point moved by its own distance from the mean.
    let scaled = snap(from.z.iter().map(|v| 2.0 * v).collect(), 2);
    assert!(drift(&from, &scaled).is_some_and(|d| (d - 1.0).abs() < 1e-6));
    assert_eq!(drift(&from, &snap(vec![0.0; 6], 2)), None, "other size");
    assert_eq!(drift(&snap(vec![0.5; 8], 2), &from), None, "no spread");
    let broken = snap(vec![f32::NAN; 8], 2);
    assert_eq!(drift(&from, &broken), None, "not finite");
}

#[test]
fn normalised_layouts_are_centred_with_unit_rms_radius() {
    let pts = normalised(&[[10.0, 0.0], [12.0, 0.0], [11.0, 3.0]]);
    let (mx, my) = pts.iter().fold((0.0, 0.0), |a, p| (a.0 + p[0], a.1 + p[1]));
    assert!(mx.abs() < 1e-5 && my.abs() < 1e-5);
    let rms = (pts.iter().map(|p| p[0] * p[0] + p[1] * p[1]).sum::<f32>() / 3.0).sqrt();
    assert!((rms - 1.0).abs() < 1e-5);
}
