use super::series::*;
use super::*;

#[test]
fn formulas_plug_in_the_hovered_rows_values() {
    let row = MetricsRow {
        step: 40,
        loss: 4.25,
        diagnostics: crate::metrics::Diagnostics {
            std: 0.031,
            std_ref: 1.0 / 32f64.sqrt(),
            ..Default::default()
        },
        extras: vec![(Extra::MiBound, 63f64.ln() - 4.25)],
    };
    let ctx = FormulaContext {
        dim: 32,
        candidates: Some(63),
    };
    let spread = (SPREAD.formula)(&row, &ctx);
    assert!(spread.contains("0.0310 × √32 = 0.175"), "{spread}");
    let bound = (MI_BOUND.formula)(&row, &ctx);
    assert!(bound.contains("ln 63 − 4.2500 = -0.1069"), "{bound}");
    for chart in CHARTS {
        for s in chart.lines {
            assert!(!(s.formula)(&row, &ctx).is_empty(), "{}", s.name);
        }
    }
}
