//! A sweep: one setting over several values, each value a run per seed, every run otherwise
//! the same. Written `KEY=V1,V2,…` or `KEY=LO..HI:COUNT[:log]` on the command line and in the
//! app, and `sweep = { key = "temperature", values = ["0.1", "0.5"], seeds = 2 }` in a scenario
//! file (`sweep.toml`, which runs the sweep again).
//!
//! The runs are numbered value by value, seed by seed: run `i` is value `i / seeds` with seed
//! offset `i % seeds`. `--shard I/N` runs those with `i ≡ I (mod N)`.

use crate::config::Key;

/// Values a sweep may hold, at most (each is a whole run per seed).
pub const MAX_VALUES: usize = 64;
/// Seeds per value, at most.
pub const MAX_SEEDS: u64 = 16;

/// The setting swept, its values (each checked against the setting's declaration) and the
/// seeds per value.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSpec {
    pub key: Key,
    /// The values as `--set` takes them.
    pub values: Vec<String>,
    /// Seeds per value: the run's seed, seed + 1, …
    pub seeds: u64,
}

/// One run of a sweep: its number, its value and its seed offset.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    pub index: usize,
    pub value: String,
    pub seed_offset: u64,
}

impl SweepSpec {
    /// `key` over `values` with `seeds` seeds each, or why not.
    pub fn new(key: Key, values: Vec<String>, seeds: u64) -> Result<Self, String> {
        if values.len() < 2 || values.len() > MAX_VALUES {
            return Err(format!("a sweep takes 2 to {MAX_VALUES} values"));
        }
        if !(1..=MAX_SEEDS).contains(&seeds) {
            return Err(format!("seeds per value must be between 1 and {MAX_SEEDS}"));
        }
        for (i, value) in values.iter().enumerate() {
            let setting = key
                .parse_value(value)
                .map_err(|e| format!("value `{value}`: {e}"))?;
            setting
                .check()
                .map_err(|e| format!("value `{value}`: {e}"))?;
            if values[..i].contains(value) {
                return Err(format!("value `{value}` is given twice"));
            }
        }
        Ok(Self { key, values, seeds })
    }

    /// `KEY=V1,V2,…` or `KEY=LO..HI:COUNT[:log]` (COUNT values from LO to HI, evenly spaced,
    /// or evenly in log space with `:log`), one seed per value; errors name `--sweep`.
    pub fn parse(text: &str) -> crate::error::Result<Self> {
        let bad = |why: &str| crate::error::LabError::invalid("--sweep", text, why);
        let (key, values) = text
            .split_once('=')
            .ok_or_else(|| bad("expected KEY=V1,V2,… or KEY=LO..HI:COUNT[:log]"))?;
        let key = Key::from_name(key.trim())?;
        let values = match values.split_once("..") {
            Some((lo, rest)) => range(lo, rest).map_err(|why| bad(&why))?,
            None => values.split(',').map(|v| v.trim().to_string()).collect(),
        };
        Self::new(key, values, 1).map_err(|why| bad(&why))
    }

    /// The same sweep with `seeds` seeds per value; errors name `--seeds`.
    pub fn with_seeds(self, seeds: u64) -> crate::error::Result<Self> {
        Self::new(self.key, self.values, seeds)
            .map_err(|why| crate::error::LabError::invalid("--seeds", seeds, why))
    }

    /// `<key>=<value>`: a run's folder under the sweep's.
    pub fn folder(&self, value: &str) -> String {
        format!("{}={value}", self.key.name())
    }

    /// Every run, in order.
    pub fn points(&self) -> Vec<SweepPoint> {
        self.values
            .iter()
            .flat_map(|value| (0..self.seeds).map(move |k| (value, k)))
            .enumerate()
            .map(|(index, (value, k))| SweepPoint {
                index,
                value: value.clone(),
                seed_offset: k,
            })
            .collect()
    }

    /// "temperature τ = 0.1": a value as the app's panels and the web page head it.
    pub fn heading(&self, value: &str) -> String {
        format!("{} = {value}", self.key.spec().label)
    }

    /// The index of `value` among the values (0 for one not among them).
    pub fn index_of(&self, value: &str) -> usize {
        self.values
            .iter()
            .position(|v| v == value)
            .unwrap_or_default()
    }

    /// Whether the values go on a log axis: all numbers above 0, on a setting whose slider is
    /// logarithmic or spanning a factor of ten or more.
    pub fn log_axis(&self) -> bool {
        let Some(values) = self.numeric_values() else {
            return false;
        };
        let (lo, hi) = values.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
        let log_slider = matches!(
            self.key.spec().domain,
            crate::config::Domain::Range { log: true, .. }
        );
        lo > 0.0 && (log_slider || hi / lo >= 10.0)
    }

    /// Where each value sits on the curve's axis: log10 of it on a log axis, the number on a
    /// linear one, its index for a choice.
    pub fn axis(&self) -> Vec<f64> {
        let log = self.log_axis();
        match self.numeric_values() {
            Some(v) if log => v.iter().map(|x| x.log10()).collect(),
            Some(v) => v,
            None => (0..self.values.len()).map(|i| i as f64).collect(),
        }
    }

    /// The values as numbers, where every one is (for the curve's axis), else `None`.
    pub fn numeric_values(&self) -> Option<Vec<f64>> {
        self.values
            .iter()
            .map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite()))
            .collect()
    }
}

/// `I/N` of `--shard`: this process runs the runs numbered `i ≡ I (mod N)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// `I/N` with `0 ≤ I < N`; errors name `--shard`.
    pub fn parse(text: &str) -> crate::error::Result<Self> {
        let bad = |why: &str| crate::error::LabError::invalid("--shard", text, why);
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| bad("expected I/N, e.g. 0/4 (shard I of N, counted from 0)"))?;
        let number = |t: &str| {
            t.trim()
                .parse::<usize>()
                .map_err(|_| bad(&format!("`{t}` is not a whole number")))
        };
        let (index, count) = (number(i)?, number(n)?);
        if count == 0 {
            return Err(bad("N must be at least 1"));
        }
        if index >= count {
            return Err(bad(&format!(
                "I must be below N: shards are numbered 0 to {}",
                count - 1
            )));
        }
        Ok(Self { index, count })
    }

    pub fn takes(&self, run: usize) -> bool {
        run % self.count == self.index
    }

    /// The file a shard writes its rows to (beside `sweep.toml`), so that shards may share a
    /// folder.
    pub fn csv_name(&self) -> String {
        format!("sweep-shard-{}-of-{}.csv", self.index, self.count)
    }
}

/// `LO..HI:COUNT[:log]` after the `..` split: the values, or why not.
fn range(lo: &str, rest: &str) -> Result<Vec<String>, String> {
    let mut parts = rest.split(':');
    let hi = parts.next().unwrap_or_default();
    let count = parts.next().ok_or("a range needs a count: LO..HI:COUNT")?;
    let log = match parts.next() {
        None => false,
        Some("log") => true,
        Some(other) => return Err(format!("`{other}`: the only spacing is `log`")),
    };
    let number = |t: &str| {
        t.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or(format!(
                "`{t}` is not a number (a range takes numeric settings)"
            ))
    };
    let (lo, hi) = (number(lo)?, number(hi)?);
    let count: usize = count
        .trim()
        .parse()
        .map_err(|_| format!("`{count}` is not a count"))?;
    if !(2..=MAX_VALUES).contains(&count) {
        return Err(format!("a range takes 2 to {MAX_VALUES} values"));
    }
    if log && (lo <= 0.0 || hi <= 0.0) {
        return Err("a log range needs LO and HI above 0".into());
    }
    Ok(spaced(lo, hi, count, log))
}

/// `count` values from `lo` to `hi`, evenly (or evenly in log space), each to four
/// significant digits as a person writes them (and folders are named): the value run is the
/// value printed.
pub fn spaced(lo: f64, hi: f64, count: usize, log: bool) -> Vec<String> {
    (0..count)
        .map(|i| {
            let t = i as f64 / (count.max(2) - 1) as f64;
            let v = if log {
                (lo.ln() + (hi.ln() - lo.ln()) * t).exp()
            } else {
                lo + (hi - lo) * t
            };
            let short: f64 = format!("{v:.3e}").parse().unwrap_or(v);
            format!("{short}")
        })
        .collect()
}
