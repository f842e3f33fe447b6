//! The machinery behind [`settings!`](crate::settings): what one declaration of a setting says
//! (its [`Spec`]) and how a value of each setting's type is read, written and checked
//! ([`SettingValue`]). The declarations themselves are in `config/mod.rs`.

use super::{Centering, DatasetKind, Method, NormKind, OptimizerKind};
use crate::error::{LabError, Result};
use std::str::FromStr;

/// How a setting takes effect when changed on a running trainer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Apply {
    /// Read at every step: the next step uses the new value.
    Live,
    /// Changes the network's or data's shape: the trainer rebuilds them (same seed).
    Rebuild,
}

impl Apply {
    pub fn name(self) -> &'static str {
        match self {
            Apply::Live => "live",
            Apply::Rebuild => "rebuild",
        }
    }
}

/// The values a setting accepts beyond its type. The UI's widget for it produces exactly
/// these values: its slider spans `lo..=hi`, so what a user can drag is what validation takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Domain {
    /// Every value of the type (flags, choices, the seed).
    Any,
    /// A number in `lo..=hi`; `log` puts the slider on a logarithmic scale.
    Range { lo: f64, hi: f64, log: bool },
}

impl Domain {
    pub const fn range(lo: f64, hi: f64) -> Self {
        Domain::Range { lo, hi, log: false }
    }

    pub const fn log_range(lo: f64, hi: f64) -> Self {
        Domain::Range { lo, hi, log: true }
    }

    /// Whether `number` (a numeric setting's value; `None` for other types) is accepted.
    pub fn admits(&self, number: Option<f64>) -> bool {
        match (self, number) {
            (Domain::Any, _) | (Domain::Range { .. }, None) => true,
            (Domain::Range { lo, hi, .. }, Some(v)) => v.is_finite() && (*lo..=*hi).contains(&v),
        }
    }

    /// The nearest accepted number (what a slider shows for a value outside its range).
    pub fn clamp(&self, v: f64) -> f64 {
        match self {
            Domain::Any => v,
            Domain::Range { lo, .. } if v.is_nan() => *lo,
            Domain::Range { lo, hi, .. } => v.clamp(*lo, *hi),
        }
    }

    fn check(&self, key: &str, number: Option<f64>) -> Result<()> {
        match (self, number) {
            (Domain::Range { lo, hi, .. }, Some(v)) if !self.admits(number) => Err(
                LabError::invalid(key, v, format!("must be between {lo} and {hi}")),
            ),
            _ => Ok(()),
        }
    }
}

/// Everything declared about one setting except its type and defaults.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// The key of `--set`, config and scenario files, `events.csv` and docs/cli.md.
    pub name: &'static str,
    /// The widget's label in the app.
    pub label: &'static str,
    pub apply: Apply,
    pub domain: Domain,
    /// One line for `settings`, docs/cli.md and the widget's tooltip.
    pub help: &'static str,
}

impl Spec {
    /// Check a value of this setting (as its number, when it has one).
    pub fn check(&self, number: Option<f64>) -> Result<()> {
        self.domain.check(self.name, number)
    }
}

/// How the app shows a setting: derived from its type and domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WidgetKind {
    Toggle,
    /// A combo box over [`SettingValue::choices`].
    Choice,
    /// A slider over the domain's range (integers for integer types).
    Slider {
        integer: bool,
    },
    /// A number field with no range (the seed).
    Field,
}

/// A type a setting can have.
pub trait SettingValue: Clone + PartialEq + Sized {
    /// Parse the text form (`--set`, TOML, scripts). `key` names the setting in errors.
    fn parse_text(key: &str, text: &str) -> Result<Self>;
    /// The text form, as `parse_text` reads it back (and as `events.csv` writes it).
    fn text(&self) -> String;
    /// The value as a number, for ranges and sliders; `None` for non-numbers.
    fn number(&self) -> Option<f64> {
        None
    }
    /// The value of a slider position (rounded for integers); `None` for non-numbers.
    fn from_number(_v: f64) -> Option<Self> {
        None
    }
    /// The value as a flag; `None` for non-flags.
    fn flag(&self) -> Option<bool> {
        None
    }
    fn from_flag(_b: bool) -> Option<Self> {
        None
    }
    /// Every value, for types with a few (the combo box lists them).
    fn choices() -> Vec<Self> {
        Vec::new()
    }
    const WIDGET: WidgetKind;
}

fn parse_num<T: FromStr>(key: &str, text: &str) -> Result<T> {
    text.trim()
        .parse::<T>()
        .map_err(|_| LabError::invalid(key, text, "not a number of the right kind"))
}

/// Numbers: read and written as Rust does, ranged, and made from a slider position
/// (`from_number` rounds for integer types and refuses what the type cannot hold).
macro_rules! numeric_value {
    ($ty:ty, $widget:expr, $from:expr) => {
        impl SettingValue for $ty {
            fn parse_text(key: &str, text: &str) -> Result<Self> {
                parse_num(key, text)
            }
            fn text(&self) -> String {
                self.to_string()
            }
            fn number(&self) -> Option<f64> {
                Some(*self as f64)
            }
            fn from_number(v: f64) -> Option<Self> {
                $from(v)
            }
            const WIDGET: WidgetKind = $widget;
        }
    };
}

fn whole(v: f64) -> Option<f64> {
    (v.is_finite() && v >= 0.0).then(|| v.round())
}

numeric_value!(f64, WidgetKind::Slider { integer: false }, Some);
numeric_value!(usize, WidgetKind::Slider { integer: true }, |v| whole(v)
    .map(|w| w as usize));
// The seed: any `u64`, typed into a field.
numeric_value!(u64, WidgetKind::Field, |v| whole(v).map(|w| w as u64));

impl SettingValue for bool {
    fn parse_text(key: &str, text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => Ok(true),
            "false" | "off" | "no" | "0" => Ok(false),
            _ => Err(LabError::invalid(key, text, "expected true or false")),
        }
    }
    fn text(&self) -> String {
        self.to_string()
    }
    fn flag(&self) -> Option<bool> {
        Some(*self)
    }
    fn from_flag(b: bool) -> Option<Self> {
        Some(b)
    }
    fn choices() -> Vec<Self> {
        vec![false, true]
    }
    const WIDGET: WidgetKind = WidgetKind::Toggle;
}

/// The enumerations (method, dataset, optimizer) read and write their names.
macro_rules! choice_value {
    ($ty:ty, $choices:expr) => {
        impl SettingValue for $ty {
            fn parse_text(_key: &str, text: &str) -> Result<Self> {
                text.parse()
            }
            fn text(&self) -> String {
                self.to_string()
            }
            fn choices() -> Vec<Self> {
                $choices
            }
            const WIDGET: WidgetKind = WidgetKind::Choice;
        }
    };
}

choice_value!(Method, Method::ALL.to_vec());
choice_value!(DatasetKind, DatasetKind::ALL.to_vec());
choice_value!(OptimizerKind, OptimizerKind::ALL.to_vec());
choice_value!(NormKind, NormKind::ALL.to_vec());
choice_value!(Centering, Centering::ALL.to_vec());

/// Declares every setting once (used once, in `config/mod.rs`). Each entry gives the enum variant, the field and its type, the
/// default (and the methods whose paper uses another), how a change applies, the domain, the
/// widget's label and the help line. From it come [`RunConfig`](crate::config::RunConfig)'s
/// fields, the typed [`Key`](crate::config::Key) and [`Setting`](crate::config::Setting), `get`,
/// `apply` and validation, the `settings` listing, the docs/cli.md table and the widgets' ranges.
macro_rules! settings {
    ($(
        $variant:ident $field:ident : $ty:ty = $default:expr $(, $method:ident => $method_default:expr)* ;
        $apply:ident, $domain:expr, $label:literal, $help:literal ;
    )*) => {
        /// One complete experiment. Same config + same seed ⇒ same numbers. A setting missing
        /// from stored data (a recording made before it existed) takes its default.
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(default)]
        pub struct RunConfig {
            $(#[doc = $help] pub $field: $ty,)*
        }

        /// The name of a setting.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Key {
            $($variant,)*
        }

        /// A setting with its value, typed.
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        pub enum Setting {
            $($variant($ty),)*
        }

        impl Key {
            /// Every setting, in the order `settings`, docs/cli.md and the app list them.
            pub const ALL: &'static [Key] = &[$(Key::$variant,)*];

            pub const fn name(self) -> &'static str {
                match self {
                    $(Key::$variant => stringify!($field),)*
                }
            }

            pub const fn spec(self) -> &'static $crate::config::Spec {
                match self {
                    $(Key::$variant => {
                        const SPEC: $crate::config::Spec = $crate::config::Spec {
                            name: stringify!($field),
                            label: $label,
                            apply: $crate::config::Apply::$apply,
                            domain: $domain,
                            help: $help,
                        };
                        &SPEC
                    })*
                }
            }

            /// How the app shows it.
            pub fn widget(self) -> $crate::config::WidgetKind {
                match self {
                    $(Key::$variant => <$ty as $crate::config::SettingValue>::WIDGET,)*
                }
            }

            /// Read a value of this setting from its text form (not yet range-checked).
            pub fn parse_value(self, text: &str) -> $crate::error::Result<Setting> {
                match self {
                    $(Key::$variant => Ok(Setting::$variant(
                        <$ty as $crate::config::SettingValue>::parse_text(self.name(), text)?,
                    )),)*
                }
            }

            /// The value of a slider position or number field.
            pub fn from_number(self, v: f64) -> Option<Setting> {
                match self {
                    $(Key::$variant =>
                        <$ty as $crate::config::SettingValue>::from_number(v).map(Setting::$variant),)*
                }
            }

            pub fn from_flag(self, b: bool) -> Option<Setting> {
                match self {
                    $(Key::$variant =>
                        <$ty as $crate::config::SettingValue>::from_flag(b).map(Setting::$variant),)*
                }
            }

            /// Every value, for settings with a few.
            pub fn choices(self) -> Vec<Setting> {
                match self {
                    $(Key::$variant => <$ty as $crate::config::SettingValue>::choices()
                        .into_iter()
                        .map(Setting::$variant)
                        .collect(),)*
                }
            }
        }

        impl Setting {
            pub fn key(&self) -> Key {
                match self {
                    $(Setting::$variant(_) => Key::$variant,)*
                }
            }

            /// The value's text, as `--set` reads it and `events.csv` writes it.
            pub fn text(&self) -> String {
                match self {
                    $(Setting::$variant(v) => $crate::config::SettingValue::text(v),)*
                }
            }

            pub fn number(&self) -> Option<f64> {
                match self {
                    $(Setting::$variant(v) => $crate::config::SettingValue::number(v),)*
                }
            }

            pub fn flag(&self) -> Option<bool> {
                match self {
                    $(Setting::$variant(v) => $crate::config::SettingValue::flag(v),)*
                }
            }

            /// Whether the declared domain takes this value.
            pub fn check(&self) -> $crate::error::Result<()> {
                self.key().spec().check(self.number())
            }
        }

        impl RunConfig {
            /// The declared defaults, with `method`'s own where its paper differs.
            fn declared_defaults(method: Method) -> Self {
                #[allow(unused_mut)]
                let mut c = RunConfig { $($field: $default,)* };
                $($(if method == Method::$method {
                    c.$field = $method_default;
                })*)*
                c
            }

            /// The current value of `key`.
            pub fn get(&self, key: Key) -> Setting {
                match key {
                    $(Key::$variant => Setting::$variant(self.$field.clone()),)*
                }
            }

            /// Store a value without checking it.
            fn put(&mut self, setting: Setting) {
                match setting {
                    $(Setting::$variant(v) => self.$field = v,)*
                }
            }
        }
    };
}

pub(crate) use settings;
