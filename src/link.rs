//! A run as a link: the browser lab's URL hash holds the run it shows, so that a link a teacher
//! sends opens the same run (same seed, same build: the same numbers).
//!
//! ```text
//! #method=simsiam&stop_gradient=false&seed=3         settings: the keys and values of `--set`
//! #lesson=simsiam-stop-gradient                      a built-in lesson (never a file)
//! #compare=predictor=false&compare=lr=0.01           run B beside it, these changes apart
//! #script=100:stop_gradient=false;250:lr=0.01        changes at steps (a scenario's script)
//! #view=sphere|pca|tsne  #present=1                  how the page shows it
//! ```
//!
//! The hash is text from outside: every pair is checked on its own ([`Link::parse`]); a bad one
//! is named in an error and left out, and the page runs with the rest. [`Link::of_run`] writes
//! the link of a run on screen (its start config and its changes so far), which
//! [`Link::parse`] reads back to the same run.

use crate::config::{DatasetKind, Key, Method, RunConfig, Setting};
use crate::run::Event;
use crate::scenario::{CompareSpec, Scenario, ScriptStep};

/// A hash longer than this is refused whole (a link is a few hundred bytes; this bounds what a
/// pasted text can make the page parse).
pub const MAX_HASH_BYTES: usize = 16 << 10;

/// At most this many scripted changes in a link.
pub const MAX_SCRIPT_STEPS: usize = 1000;

/// How the page shows the embedding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkView {
    /// The unit sphere at a fixed scale (the default).
    Sphere,
    Pca,
    Tsne,
}

impl LinkView {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sphere => "sphere",
            Self::Pca => "pca",
            Self::Tsne => "tsne",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Sphere, Self::Pca, Self::Tsne]
            .into_iter()
            .find(|v| v.name() == text)
    }
}

/// What a link asks for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Link {
    /// The start config's settings, in the order given (the method's defaults come first,
    /// whatever its place: [`Link::config`]).
    pub settings: Vec<Setting>,
    /// Changes at steps, sorted by step.
    pub script: Vec<ScriptStep>,
    /// A built-in lesson to open (its start config; the link's settings on top).
    pub lesson: Option<String>,
    /// Run B beside the run, these changes apart.
    pub compare: Vec<Setting>,
    pub view: Option<LinkView>,
    pub present: bool,
}

/// What a link could not say: the message names the key and the value.
fn refused(key: &str, value: &str, reason: &str) -> String {
    format!("link: invalid value `{value}` for `{key}`: {reason}")
}

impl Link {
    /// Read a URL hash (with or without its `#`). Every pair is checked on its own: the second
    /// value is the list of messages, one per pair left out, each naming its key and value.
    pub fn parse(hash: &str) -> (Self, Vec<String>) {
        let mut link = Self::default();
        let mut errors = Vec::new();
        let hash = hash.strip_prefix('#').unwrap_or(hash);
        if hash.len() > MAX_HASH_BYTES {
            errors.push(format!(
                "link: the hash is {} bytes, more than the {MAX_HASH_BYTES} a link may hold; it was ignored",
                hash.len()
            ));
            return (link, errors);
        }
        for pair in hash.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (key, value) = (decode(key), decode(value));
            if let Err(e) = link.take(key.trim(), value.trim()) {
                errors.push(e);
            }
        }
        link.script.sort_by_key(|s| s.step);
        (link, errors)
    }

    /// One `key=value` pair of the hash.
    fn take(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "lesson" => {
                // Only a built-in lesson: a link never names a file.
                crate::lessons::find(value).map_err(|e| format!("link: {e}"))?;
                self.lesson = Some(value.to_string());
            }
            "compare" => {
                let (k, v) = value.split_once('=').unwrap_or((value, ""));
                let setting =
                    setting_of(k.trim(), v.trim()).map_err(|e| refused(key, value, &e))?;
                self.compare.push(setting);
            }
            "script" => {
                for change in value.split(';').filter(|c| !c.trim().is_empty()) {
                    if self.script.len() >= MAX_SCRIPT_STEPS {
                        return Err(refused(
                            key,
                            change,
                            &format!("a link holds at most {MAX_SCRIPT_STEPS} changes"),
                        ));
                    }
                    let step = script_step(change.trim()).map_err(|e| refused(key, change, &e))?;
                    self.script.push(step);
                }
            }
            "view" => {
                self.view = Some(
                    LinkView::parse(value)
                        .ok_or_else(|| refused(key, value, "expected sphere, pca or tsne"))?,
                );
            }
            "present" => {
                self.present = match value {
                    "1" | "true" | "" => true,
                    "0" | "false" => false,
                    _ => return Err(refused(key, value, "expected 1 or 0")),
                };
            }
            _ => {
                let setting = setting_of(key, value)?;
                self.settings.push(setting);
            }
        }
        Ok(())
    }

    /// The run's start config: `base(method)` (the page's defaults for the link's method, or
    /// the lesson's config), then the link's settings in order, λ following d unless given (as
    /// a config file reads). An inconsistent whole is refused with the message, and `base`'s
    /// config returned.
    pub fn config(&self, base: RunConfig) -> (RunConfig, Option<String>) {
        let mut config = base.clone();
        for s in &self.settings {
            if let Err(e) = config.apply(s.clone()) {
                return (base, Some(format!("link: {e}")));
            }
        }
        let gives_lambda = self.settings.iter().any(|s| s.key() == Key::Lambda);
        if !gives_lambda && self.settings.iter().any(|s| s.key() == Key::OutDim) {
            config.lambda = RunConfig::default_lambda(config.out_dim);
        }
        match config.validate() {
            Ok(()) => (config, None),
            Err(e) => (base, Some(format!("link: {e}"))),
        }
    }

    /// The method the link names, if any (its defaults are the base of [`Self::config`]).
    pub fn method(&self) -> Option<Method> {
        self.settings.iter().rev().find_map(|s| match s {
            Setting::Method(m) => Some(*m),
            _ => None,
        })
    }

    /// The run the link asks for, as a scenario: the start config from `base`, the script,
    /// run B's changes.
    pub fn scenario(&self, base: RunConfig) -> (Scenario, Option<String>) {
        let (config, error) = self.config(base);
        let mut scenario = Scenario::new(config);
        scenario.script = self.script.clone();
        if !self.compare.is_empty() {
            scenario.compare = Some(CompareSpec {
                changes: self.compare.clone(),
                fork_at: None,
            });
        }
        (scenario, error)
    }

    /// The link of a run on screen: every setting of its start config that differs from
    /// `base` (the page's defaults for its method), and its changes so far as the script.
    /// Opening it gives the same start and the same changes at the same steps.
    pub fn of_run(start: &RunConfig, events: &[Event], base: &RunConfig) -> Self {
        let mut settings = vec![Setting::Method(start.method)];
        settings.extend(
            Key::ALL
                .iter()
                .filter(|&&k| k != Key::Method)
                .map(|&k| start.get(k))
                .filter(|s| *s != base.get(s.key())),
        );
        Self {
            settings,
            script: events
                .iter()
                .map(|e| ScriptStep {
                    step: e.step,
                    setting: e.new.clone(),
                })
                .collect(),
            ..Self::default()
        }
    }

    /// The hash, `#` first: settings, then the script, lesson, comparison and view.
    pub fn to_hash(&self) -> String {
        let mut pairs: Vec<String> = self
            .settings
            .iter()
            .map(|s| format!("{}={}", s.key().name(), encode(&s.text())))
            .collect();
        if !self.script.is_empty() {
            let changes: Vec<String> = self
                .script
                .iter()
                .map(|s| {
                    format!(
                        "{}:{}={}",
                        s.step,
                        s.setting.key().name(),
                        encode(&s.setting.text())
                    )
                })
                .collect();
            pairs.push(format!("script={}", changes.join(";")));
        }
        if let Some(l) = &self.lesson {
            pairs.push(format!("lesson={}", encode(l)));
        }
        for c in &self.compare {
            pairs.push(format!("compare={}={}", c.key().name(), encode(&c.text())));
        }
        if let Some(v) = self.view {
            pairs.push(format!("view={}", v.name()));
        }
        if self.present {
            pairs.push("present=1".into());
        }
        format!("#{}", pairs.join("&"))
    }
}

/// A setting from the link's text. A data set on the user's disk (`folder:`, `csv:`) is
/// refused: a link cannot reach the files of whoever opens it.
fn setting_of(key: &str, value: &str) -> Result<Setting, String> {
    let k = Key::from_name(key).map_err(|e| format!("link: {e}"))?;
    let setting = k
        .parse_value(value)
        .and_then(|s| s.check().map(|_| s))
        .map_err(|e| format!("link: {e}"))?;
    if let Setting::Dataset(DatasetKind::Folder(_) | DatasetKind::Csv(_)) = &setting {
        return Err(refused(
            key,
            value,
            "a link cannot name a file or folder: pick the file in the page instead (File → Train on a CSV)",
        ));
    }
    Ok(setting)
}

/// `STEP:KEY=VALUE`.
fn script_step(text: &str) -> Result<ScriptStep, String> {
    let (step, change) = text
        .split_once(':')
        .ok_or("expected STEP:KEY=VALUE, e.g. 100:stop_gradient=false")?;
    let step: usize = step
        .trim()
        .parse()
        .map_err(|_| format!("`{step}` is not a step number"))?;
    let (key, value) = change
        .split_once('=')
        .ok_or("expected STEP:KEY=VALUE, e.g. 100:stop_gradient=false")?;
    let setting = setting_of(key.trim(), value.trim())?;
    Ok(ScriptStep { step, setting })
}

/// Percent-decoding of a hash component (`%20` → space; a broken escape stays as it is).
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encoding of a value: what is not a letter, digit or one of `-._~:/` is escaped (so
/// `&`, `=`, `;` and `#` inside a value cannot end it).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issues_link_reads_as_its_settings() {
        let (link, errors) = Link::parse("#method=simsiam&stop_gradient=false&seed=3");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(link.method(), Some(Method::SimSiam));
        let (config, error) = link.config(RunConfig::for_method(Method::SimSiam));
        assert_eq!(error, None);
        assert!(!config.stop_gradient);
        assert_eq!(config.seed, 3);
    }

    #[test]
    fn a_bad_pair_is_named_and_the_rest_is_kept() {
        let (link, errors) =
            Link::parse("#temperature=banana&seed=4&nonsense=1&view=cube&lesson=../etc/passwd");
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[0].contains("temperature") && errors[0].contains("banana"));
        assert!(errors[1].contains("nonsense"));
        assert!(errors[2].contains("view") && errors[2].contains("cube"));
        assert!(errors[3].contains("lesson"));
        assert_eq!(link.settings, vec![Setting::Seed(4)]);
        assert_eq!(link.view, None);
        assert_eq!(link.lesson, None);
    }

    #[test]
    fn a_link_cannot_reach_the_disk() {
        let (link, errors) = Link::parse("#dataset=csv:/etc/passwd&dataset=folder:.");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(link.settings.is_empty());
    }

    #[test]
    fn a_run_written_as_a_link_reads_back_to_the_same_run() {
        let base = RunConfig::for_method(Method::Byol);
        let mut start = base.clone();
        start.seed = 7;
        start.temperature = 0.2;
        let events = vec![Event {
            step: 120,
            old: Setting::Predictor(true),
            new: Setting::Predictor(false),
        }];
        let mut link = Link::of_run(&start, &events, &base);
        link.compare = vec![Setting::Lr(0.01)];
        link.view = Some(LinkView::Pca);
        link.present = true;
        let hash = link.to_hash();
        let (back, errors) = Link::parse(&hash);
        assert!(errors.is_empty(), "{hash}: {errors:?}");
        assert_eq!(back, link, "{hash}");
        assert_eq!(back.config(base).0, start);
    }

    #[test]
    fn values_with_the_hashs_own_characters_survive() {
        assert_eq!(decode(&encode("a&b=c;d#e f%")), "a&b=c;d#e f%");
        assert_eq!(decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn an_overlong_hash_is_refused_whole() {
        let (link, errors) = Link::parse(&"seed=1&".repeat(MAX_HASH_BYTES));
        assert_eq!(errors.len(), 1);
        assert_eq!(link, Link::default());
    }
}
