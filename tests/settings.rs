//! Settings are declared once: what each widget can produce is exactly what validation
//! accepts, and docs/cli.md's table is the declarations'.

use contrastive_lab::config::{Domain, Key, RunConfig, WidgetKind};
use proptest::prelude::*;

fn numeric_keys() -> Vec<(Key, f64, f64)> {
    Key::ALL
        .iter()
        .filter_map(|k| match k.spec().domain {
            Domain::Range { lo, hi, .. } => Some((*k, lo, hi)),
            Domain::Any => None,
        })
        .collect()
}

fn accepted(key: Key, raw: f64) -> bool {
    key.from_number(raw).is_some_and(|s| {
        let mut c = RunConfig::default();
        s.check().is_ok() && c.apply(s).is_ok()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any slider position (any number a drag or a typed value gives, clamped as the slider
    /// clamps) is accepted by validation.
    #[test]
    fn every_value_a_widget_produces_is_accepted(index in 0usize..64, raw in prop::num::f64::ANY) {
        let keys = numeric_keys();
        let (key, _, _) = keys[index % keys.len()];
        let setting = key.widget_value(raw);
        prop_assert!(setting.is_some(), "{}: no value at {raw}", key.name());
        let mut c = RunConfig::default();
        prop_assert!(setting.clone().is_some_and(|s| c.apply(s).is_ok()),
            "{}: widget value {setting:?} refused", key.name());
    }

    /// A number validation refuses is one no widget can produce: the widget shows it clamped.
    #[test]
    fn every_value_validation_refuses_is_out_of_the_widgets_reach(
        index in 0usize..64,
        raw in prop_oneof![prop::num::f64::ANY, -1e7..1e7f64, -2.0..2.0f64],
    ) {
        let keys = numeric_keys();
        let (key, lo, hi) = keys[index % keys.len()];
        let rounded = key.from_number(raw).and_then(|s| s.number());
        if !accepted(key, raw) {
            prop_assert!(rounded.is_none_or(|v| !(lo..=hi).contains(&v)),
                "{}: {raw} refused though the slider spans {lo}..={hi}", key.name());
            prop_assert_ne!(key.widget_value(raw), key.from_number(raw), "{}: {}", key.name(), raw);
        }
    }
}

#[test]
fn every_choice_and_flag_a_widget_offers_is_accepted() {
    for key in Key::ALL {
        let choices = key.choices();
        match key.widget() {
            WidgetKind::Toggle | WidgetKind::Choice => assert!(!choices.is_empty(), "{key:?}"),
            _ => assert!(choices.is_empty(), "{key:?}"),
        }
        for choice in choices {
            let mut c = RunConfig::default();
            assert!(c.apply(choice.clone()).is_ok(), "{choice}");
            assert_eq!(key.parse_value(&choice.text()).ok(), Some(choice));
        }
    }
}

#[test]
fn the_cli_docs_list_the_declared_settings() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/cli.md"))
        .unwrap_or_else(|e| panic!("{e}"));
    let table = contrastive_lab::config::markdown_table();
    assert!(
        readme.contains(&table),
        "docs/cli.md's settings table differs from the declarations; paste:\n{table}"
    );
}
