use super::dialog::{default_values, read};
use super::grid::columns;
use super::plots::{SweepMetric, curve};
use super::*;
use crate::config::Key;
use crate::train::{History, MetricsRow};

fn sweep(key: Key, values: &[&str], seeds: u64) -> SweepRuns {
    let spec = SweepSpec::new(key, values.iter().map(|v| v.to_string()).collect(), seeds)
        .unwrap_or_else(|e| panic!("{e}"));
    SweepRuns {
        seed: 3,
        points: spec.points(),
        lockstep: Lockstep::group(spec.points().len()),
        queue: None,
        spec,
    }
}

fn history(knn: &[(usize, f64)]) -> History {
    let mut h = History::default();
    for &(step, v) in knn {
        let mut row = MetricsRow {
            step,
            loss: 0.0,
            diagnostics: Default::default(),
            extras: Vec::new(),
        };
        row.diagnostics.knn_acc = v;
        h.push(row, false);
    }
    h
}

#[test]
fn the_curve_is_the_mean_and_range_over_seeds_at_the_cursor_on_a_log_axis() {
    let s = sweep(Key::Temperature, &["1", "0.1"], 2);
    // Runs: τ=1 seeds 3, 4; τ=0.1 seeds 3, 4.
    let hs = [
        history(&[(0, 0.5), (10, 0.6), (20, 0.7)]),
        history(&[(0, 0.5), (10, 0.8), (20, 0.9)]),
        history(&[(0, 0.5), (10, 0.2), (20, 0.3)]),
        history(&[(0, 0.5), (10, 0.4)]),
    ];
    let refs: Vec<&History> = hs.iter().collect();
    assert!(s.spec.log_axis());
    let newest = curve(&s, &refs, SweepMetric::Knn, None);
    // Sorted along the axis: τ = 0.1 first, at log10 = −1.
    assert_eq!(newest[0].value, "0.1");
    assert!((newest[0].x + 1.0).abs() < 1e-12 && newest[1].x.abs() < 1e-12);
    assert!((newest[0].mean - 0.35).abs() < 1e-12, "{newest:?}");
    assert_eq!((newest[0].lo, newest[0].hi), (0.3, 0.4));
    assert!((newest[1].mean - 0.8).abs() < 1e-12);
    // At the timeline's step 15: each run's row at or before it.
    let at = curve(&s, &refs, SweepMetric::Knn, Some(15));
    assert!((at[1].mean - 0.7).abs() < 1e-12 && (at[0].mean - 0.3).abs() < 1e-12);
    assert_eq!(s.seed_of(3), Some(4));
    // A queue's run still at step 0 is no point on the curve while others have trained.
    let waiting = [
        history(&[(0, 0.5), (10, 0.6)]),
        history(&[(0, 0.5), (10, 0.8)]),
        history(&[(0, 0.5)]),
        history(&[(0, 0.5)]),
    ];
    let refs: Vec<&History> = waiting.iter().collect();
    let points = curve(&s, &refs, SweepMetric::Knn, None);
    assert_eq!(points.len(), 1, "{points:?}");
    assert_eq!(points[0].value, "1");
    // A choice or a narrow linear range stays on a linear axis.
    assert!(
        !sweep(Key::StopGradient, &["false", "true"], 1)
            .spec
            .log_axis()
    );
    assert!(
        !sweep(Key::AugmentStrength, &["0.5", "1"], 1)
            .spec
            .log_axis()
    );
}

#[test]
fn every_setting_the_window_offers_starts_with_values_it_accepts() {
    let config = RunConfig::default();
    for &key in Key::ALL {
        if [
            Key::Seed,
            Key::Steps,
            Key::ProbeSize,
            Key::SnapshotEvery,
            Key::HistoryMb,
        ]
        .contains(&key)
        {
            continue;
        }
        let values = default_values(key, &config);
        let spec = read(key, &values, 1);
        assert!(spec.is_ok(), "{}: `{values}`: {spec:?}", key.name());
    }
    assert_eq!(
        read(
            Key::Temperature,
            &default_values(Key::Temperature, &config),
            2
        )
        .map(|s| s.points().len()),
        Ok(12)
    );
    // Refused, saying why: too many values for the app, too many seeds, a value out of range.
    for (values, seeds, why) in [
        ("0.1..1:9", 1, "at most 8"),
        ("0.1, 0.2", 4, "seeds"),
        ("0.1, -3", 1, "-3"),
        ("0.1", 1, "2 to 64 values"),
    ] {
        let e = read(Key::Temperature, values, seeds)
            .err()
            .unwrap_or_default();
        assert!(e.contains(why), "{values}: {e}");
    }
}

#[test]
fn the_grid_has_one_row_up_to_three_panels_then_two() {
    let shape: Vec<usize> = (1..=8).map(columns).collect();
    assert_eq!(shape, [1, 2, 3, 2, 3, 3, 4, 4]);
}

#[test]
fn a_sweep_run_is_the_base_config_with_its_value_and_seed() {
    let base = RunConfig::default();
    let spec = SweepSpec::new(Key::Lr, vec!["0.01".into(), "0.1".into()], 2)
        .unwrap_or_else(|e| panic!("{e}"));
    let configs = run_configs(&base, &spec).unwrap_or_else(|e| panic!("{e}"));
    let made: Vec<(f64, u64)> = configs.iter().map(|c| (c.lr, c.seed)).collect();
    assert_eq!(made, [(0.01, 0), (0.01, 1), (0.1, 0), (0.1, 1)]);
    assert!(configs.iter().all(|c| c.temperature == base.temperature));
}
