use super::*;

#[test]
fn set_validates_and_keeps_old_value_on_error() {
    let mut c = RunConfig::default();
    assert_eq!(c.set("temperature", "0.1").ok().as_deref(), Some("0.5"));
    assert!(c.set("temperature", "0").is_err());
    assert!(c.set("temperature", "-1").is_err());
    assert!(c.set("batch_size", "1").is_err());
    assert!(c.set("nonsense", "1").is_err());
    assert!(c.set("projector_bn", "maybe").is_err());
    assert_eq!(c.temperature, 0.1);
    assert_eq!(c.batch_size, 256);
}

/// Recordings store the config with serde: one made before a setting existed, or when
/// `centering` was a flag, still loads.
#[test]
fn stored_configs_from_before_a_setting_existed_still_load() {
    let old: RunConfig = toml::from_str("method = \"dino\"\ncentering = false\nseed = 4")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(old.centering, Centering::Off);
    assert_eq!((old.method, old.seed), (Method::Dino, 4));
    assert_eq!((old.norm, old.koleo), (NormKind::Batch, 0.0));
    let on: RunConfig = toml::from_str("centering = true").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(on.centering, Centering::Ema);
    let now: RunConfig =
        toml::from_str("centering = \"sinkhorn\"").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(now.centering, Centering::Sinkhorn);
}

#[test]
fn toml_round_trip_is_identical() {
    let mut c = RunConfig::for_method(Method::Dino);
    c.set("teacher_temperature", "0.07").ok();
    c.set("out_dim", "3").ok();
    let back = RunConfig::from_toml(&c.to_toml());
    assert_eq!(back.ok(), Some(c));
}

#[test]
fn every_setting_has_a_getter_and_setter() {
    let c = RunConfig::default();
    for key in Key::ALL {
        let text = c.get(*key).text();
        let mut d = c.clone();
        d.set(key.name(), &text)
            .unwrap_or_else(|e| panic!("{}: {e}", key.name()));
        assert_eq!(d, c, "{}", key.name());
        assert_eq!(key.parse_value(&text).ok(), Some(c.get(*key)));
    }
}

#[test]
fn method_defaults_come_from_the_declarations() {
    let simsiam = RunConfig::for_method(Method::SimSiam);
    assert_eq!((simsiam.optimizer, simsiam.lr), (OptimizerKind::Sgd, 0.05));
    assert_eq!(
        RunConfig::for_method(Method::Clip).dataset,
        DatasetKind::Shapes
    );
    assert!(!RunConfig::for_method(Method::Moco).projector_bn);
    assert_eq!(RunConfig::for_method(Method::Barlow).lambda, 1.0 / 32.0);
    for m in Method::ALL {
        assert_eq!(RunConfig::for_method(m).validate().ok(), Some(()), "{m}");
    }
}
