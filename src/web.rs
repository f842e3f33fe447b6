//! A recorded run as one web page: the HTML, its style, its script (`assets/web/`, included
//! at build time, so the build needs no Node) and the run's data as JSON, all in one file that
//! opens from a USB stick or an e-mail with the network off. The page makes no request of any
//! kind.
//!
//! What the data holds per run: the steps of its snapshots; the sphere view's and PCA's points
//! of every snapshot, quantised to 16-bit integers (the sphere view's on its fixed scale, the
//! unit circle; PCA's relative to each snapshot's largest coordinate, which is stored beside)
//! and base64-encoded; the time plots' numbers; the events. Text from files (class names, the
//! lesson, the config) travels as JSON strings and the script sets it as text.

use crate::error::{LabError, Result};
use crate::metrics::Extra;
use crate::projection::eig::align_points;
use crate::projection::{pca_2d, sphere_2d};
use crate::recorded::RecordedRun;
use crate::run::Snapshot;
use crate::sweep::SweepSpec;
use base64::Engine as _;
use serde_json::{Value, json};
use std::sync::Arc;

const PAGE: &str = include_str!("../assets/web/page.html");
const STYLE: &str = include_str!("../assets/web/style.css");
const SCRIPT: &str = include_str!("../assets/web/replay.js");

/// The predict-first card of a lesson, as the page shows it.
#[derive(Clone, Debug)]
pub struct LessonCard {
    pub title: String,
    pub question: String,
    pub choices: Vec<String>,
    pub answer: usize,
    pub why: String,
    pub now: String,
    pub watch: String,
}

impl LessonCard {
    pub fn of(lesson: &crate::lessons::Lesson) -> Self {
        Self {
            title: lesson.title.clone(),
            question: lesson.question.prompt.clone(),
            choices: lesson.question.choices.clone(),
            answer: lesson.question.answer,
            why: lesson.question.why.clone(),
            now: lesson.change.clone(),
            watch: lesson.watch.clone(),
        }
    }
}

/// The time plots: id (a key of each run's `metrics`), title, colour, a reference line. The
/// loss with ln N, chance, where the method's loss is an N-way InfoNCE; then the common
/// diagnostics; then the method's own numbers (`extras`, keyed `x:<name>`).
fn plots(first: Option<&Snapshot>, config: &crate::config::RunConfig, extras: &[Extra]) -> Value {
    let baseline = first.map_or(0.0, |s| s.diagnostics.knn_acc);
    let loss_reference = crate::methods::info_nce_candidates(config).map(
        |n| json!({ "label": format!("ln N = ln {n} (chance)"), "value": (n.max(1) as f64).ln() }),
    );
    let mut plots = json!([
        { "id": "loss", "title": "loss", "colour": "#dcdcdc", "reference": loss_reference },
        { "id": "spread", "title": "std·√d of the normalised embedding (1 = spread over the sphere, 0 = collapsed)",
          "colour": "#5aa0ff", "reference": { "label": "uniform", "value": 1.0 } },
        { "id": "knn", "title": "kNN accuracy (k = 20, cosine) on held-out probe samples",
          "colour": "#59a14f", "reference": { "label": "random encoder", "value": baseline } },
        { "id": "alignment", "title": "alignment (lower: the two views closer)", "colour": "#f28e2b", "reference": null },
        { "id": "uniformity", "title": "uniformity (lower: spread more uniformly)", "colour": "#b07aa1", "reference": null },
        { "id": "rankme", "title": "RankMe (effective rank of the embedding)", "colour": "#edc948", "reference": null },
    ]);
    if let Value::Array(list) = &mut plots {
        list.extend(extras.iter().map(|e| {
            json!({ "id": format!("x:{}", e.name()), "title": format!("{}: {}", e.name(), e.formula()),
                    "colour": "#c0c0c0", "reference": null })
        }));
    }
    plots
}

/// The method's own numbers a run reports, in the order of its snapshots' first report.
fn extras_of(run: &RecordedRun) -> Vec<Extra> {
    let mut names: Vec<Extra> = Vec::new();
    for s in run.recording.snapshots() {
        for (e, _) in &s.extras {
            if !names.contains(e) {
                names.push(*e);
            }
        }
    }
    names
}

/// `v` in [−1, 1] as a 16-bit integer.
fn quantise(v: f32) -> i16 {
    (v.clamp(-1.0, 1.0) * 32767.0).round() as i16
}

fn base64_of(values: &[i16]) -> String {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A run of the page: its name, the recording, and how the page shows it.
pub struct PageRun<'a> {
    pub name: String,
    pub run: &'a RecordedRun,
    /// Its line colour (a sweep's value), else each plot's own.
    pub colour: Option<egui::Color32>,
    /// Whether it gets views of its own (a sweep shows each value's first seed).
    pub panel: bool,
    /// The index of its value, in a sweep.
    pub value: Option<usize>,
}

impl<'a> PageRun<'a> {
    pub fn plain(name: &str, run: &'a RecordedRun) -> Self {
        Self {
            name: name.into(),
            run,
            colour: None,
            panel: true,
            value: None,
        }
    }

    /// The runs of a recorded sweep (`run` and its others), each named, coloured and placed
    /// by its value.
    pub fn of_sweep(spec: &SweepSpec, run: &'a RecordedRun) -> Vec<Self> {
        run.runs()
            .zip(spec.points())
            .map(|(r, p)| {
                let j = spec.index_of(&p.value);
                Self {
                    name: match spec.seeds {
                        1 => spec.heading(&p.value),
                        _ => format!(
                            "{} · seed {}",
                            spec.heading(&p.value),
                            r.scenario.config.seed
                        ),
                    },
                    run: r,
                    colour: Some(crate::render::palette::sweep_colour(j, spec.values.len())),
                    panel: p.seed_offset == 0,
                    value: Some(j),
                }
            })
            .collect()
    }
}

/// A run's sphere-view points per snapshot, by step.
type Layouts = Vec<(usize, Vec<[f32; 2]>)>;

/// One run's data: its snapshots laid out (each layout aligned to the one before, as the app
/// does; a second run's sphere view also rotated onto the first run's at the same step, as the
/// app's side-by-side views are), quantised, its numbers, its events. Returns the sphere
/// layouts too, for the runs after it.
fn run_data(
    run: &PageRun,
    reference: Option<&Layouts>,
    extras: &[Extra],
) -> Result<(Value, Layouts)> {
    let snapshots = run.run.recording.snapshots();
    let mut sphere_prev = None;
    let mut pca_prev = None;
    let (mut sphere, mut pca, mut pca_scale, mut steps) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut layouts = Vec::new();
    for s in snapshots {
        let n = s.labels.len();
        let sl = sphere_2d(&s.z, n, s.dim, sphere_prev.as_ref())?;
        let target = reference
            .and_then(|r| r.iter().find(|(step, _)| *step == s.step))
            .map(|(_, points)| points);
        let points = match target {
            Some(t) if t.len() == sl.points.len() => align_points(&sl.points, t),
            _ => sl.points.clone(),
        };
        sphere.extend(points.iter().flat_map(|p| p.map(quantise)));
        layouts.push((s.step, points));
        // A collapsed embedding has no principal axes: its points sit at the centre.
        let points = match pca_2d(&s.z, n, s.dim, pca_prev.as_ref()) {
            Ok(l) => {
                let points = l.points.clone();
                pca_prev = Some(l);
                points
            }
            Err(_) => vec![[0.0, 0.0]; n],
        };
        let scale = points
            .iter()
            .flat_map(|p| p.iter().map(|v| v.abs()))
            .fold(1e-9f32, f32::max);
        pca.extend(points.iter().flat_map(|p| p.map(|v| quantise(v / scale))));
        pca_scale.push(scale);
        steps.push(s.step);
        sphere_prev = Some(sl);
    }
    let metrics = metrics_of(snapshots, extras);
    let events: Vec<Value> = run
        .run
        .events
        .iter()
        .map(|e| json!([e.step, e.label()]))
        .collect();
    let data = json!({
        "name": run.name,
        "colour": run.colour.map(|c| format!("#{:02x}{:02x}{:02x}", c.r(), c.g(), c.b())),
        "panel": run.panel,
        "value": run.value,
        "steps": steps,
        "sphere": base64_of(&sphere),
        "pca": base64_of(&pca),
        "pcaScale": pca_scale,
        "metrics": metrics,
        "events": events,
    });
    Ok((data, layouts))
}

/// The numbers of each snapshot the page plots: the common ones and the method's own.
fn metrics_of(snapshots: &[Arc<Snapshot>], extras: &[Extra]) -> serde_json::Map<String, Value> {
    let number = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
    let series = |f: &dyn Fn(&Snapshot) -> f64| -> Value {
        Value::Array(snapshots.iter().map(|s| number(f(s))).collect())
    };
    let mut m = serde_json::Map::new();
    m.insert("loss".into(), series(&|s| s.loss));
    m.insert("spread".into(), series(&|s| s.diagnostics.spread()));
    m.insert("knn".into(), series(&|s| s.diagnostics.knn_acc));
    m.insert("alignment".into(), series(&|s| s.diagnostics.alignment));
    m.insert("uniformity".into(), series(&|s| s.diagnostics.uniformity));
    m.insert("rankme".into(), series(&|s| s.diagnostics.rankme));
    for e in extras {
        m.insert(
            format!("x:{}", e.name()),
            series(&|s| s.extra(*e).unwrap_or(f64::NAN)),
        );
    }
    m
}

/// The probe's samples as small pictures for the hover card, where the data are images and can
/// be made again here (a generated dataset, or an image folder still at its path): per sample,
/// `channels × height × width` bytes, base64.
fn thumbnails(run: &RecordedRun) -> Value {
    let Ok(source) = crate::data::build(&run.scenario.config) else {
        return Value::Null;
    };
    let crate::data::InputKind::Image {
        channels,
        height,
        width,
    } = source.input()
    else {
        return Value::Null;
    };
    let mut bytes = Vec::with_capacity(run.probe_indices.len() * channels * height * width);
    for &i in &run.probe_indices {
        let sample = source.base(i);
        if sample.len() != channels * height * width {
            return Value::Null;
        }
        bytes.extend(
            sample
                .iter()
                .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8),
        );
    }
    json!({
        "channels": channels, "height": height, "width": width,
        "data": base64::engine::general_purpose::STANDARD.encode(bytes),
    })
}

/// What the page shows: one run, two compared, or a sweep (its curve over the values).
pub enum PageKind<'a> {
    Run,
    Compare,
    Sweep(&'a SweepSpec),
}

/// The page of `runs` (the first named in the page's note on opening it in the app as
/// `file`), with the lesson's card when it is one.
pub fn page(
    runs: &[PageRun],
    kind: PageKind,
    file: &str,
    lesson: Option<&LessonCard>,
) -> Result<String> {
    let Some(main) = runs.first() else {
        return Err(LabError::invalid("export-html", file, "no run to show"));
    };
    let snapshots = main.run.recording.snapshots();
    let (Some(first), Some(last)) = (snapshots.first(), snapshots.last()) else {
        return Err(LabError::invalid(
            "export-html",
            file,
            "the recording holds no snapshot",
        ));
    };
    let config = main.run.final_config()?;
    let title = if main.run.scenario.title.is_empty() {
        crate::methods::run_title(&config)
    } else {
        main.run.scenario.title.clone()
    };
    let extras = extras_of(main.run);
    let (first_data, reference) = run_data(main, None, &extras)?;
    let mut data_runs = vec![first_data];
    for r in &runs[1..] {
        data_runs.push(run_data(r, Some(&reference), &extras)?.0);
    }
    let sweep = match kind {
        PageKind::Sweep(spec) => json!({
            "key": spec.key.name(), "values": spec.values, "x": spec.axis(),
            "log": spec.log_axis(), "seeds": spec.seeds,
        }),
        PageKind::Run | PageKind::Compare => Value::Null,
    };
    let data = json!({
        "app": format!("contrastive-lab {}", env!("CARGO_PKG_VERSION")),
        "kind": match kind { PageKind::Run => "run", PageKind::Compare => "compare", PageKind::Sweep(_) => "sweep" },
        "title": title,
        "config": config.to_toml(),
        "how": format!(
            "Recorded with contrastive-lab {} (steps {}–{}). To train it yourself: open the recording {file} in the app (File → Open run…), or run `contrastive-lab --config` with the config below.",
            env!("CARGO_PKG_VERSION"),
            first.step,
            last.step
        ),
        "classes": main.run.class_names,
        "labels": last.labels,
        "thumbs": thumbnails(main.run),
        "runs": data_runs,
        "plots": plots(Some(first), &config, &extras),
        "sweep": sweep,
        "lesson": lesson.map(|l| json!({
            "title": l.title, "question": l.question, "choices": l.choices,
            "answer": l.answer, "why": l.why, "now": l.now, "watch": l.watch,
        })),
    });
    // Inside <script>, "</" could end the element: JSON may write it as "<\/" (the only place
    // it can occur is inside a string, where "\/" is "/").
    let data = data.to_string().replace("</", "<\\/");
    Ok(fill(
        PAGE,
        &[
            ("TITLE", &escape_html(&title)),
            ("STYLE", STYLE),
            ("SCRIPT", SCRIPT),
            ("DATA", &data),
        ],
    ))
}

/// The page of a recording: a single run, the comparison or the sweep it holds, with the card of
/// `lesson` (or of the built-in lesson the recording is titled after).
pub fn page_of_recording(
    run: &RecordedRun,
    file: &str,
    lesson: Option<&crate::lessons::Lesson>,
) -> Result<String> {
    // A lesson's recording carries its title: the page shows the lesson's card.
    let lesson = lesson
        .or_else(|| crate::lessons::by_title(&run.scenario.title))
        .map(LessonCard::of);
    if let (Some(c), [b]) = (&run.scenario.compare, run.others.as_slice()) {
        let label = crate::scenario::difference_label(&c.changes, c.fork_at);
        return page(
            &[
                PageRun::plain("A: this run", run),
                PageRun::plain(&label, b),
            ],
            PageKind::Compare,
            file,
            lesson.as_ref(),
        );
    }
    match run
        .scenario
        .sweep
        .as_ref()
        .filter(|_| !run.others.is_empty())
    {
        Some(spec) => page(
            &PageRun::of_sweep(spec, run),
            PageKind::Sweep(spec),
            file,
            lesson.as_ref(),
        ),
        None => page(
            &[PageRun::plain("this run", run)],
            PageKind::Run,
            file,
            lesson.as_ref(),
        ),
    }
}

/// `template` with each `{{KEY}}` replaced, in one pass over the template only: a value that
/// holds `{{…}}` is left as it is.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out =
        String::with_capacity(template.len() + values.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}").and_then(|end| {
            let key = &after[..end];
            values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (end, *v))
        }) {
            Some((end, value)) => {
                out.push_str(value);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What `run --record FILE --html PAGE` writes of a finished run (a comparison's or a sweep's
/// runs all in `run`): the recording, and its page (naming the recording, if one is kept).
pub fn write_recording_and_page(
    run: &RecordedRun,
    record: Option<&std::path::Path>,
    html: Option<&std::path::Path>,
    lesson: Option<&crate::lessons::Lesson>,
) -> Result<()> {
    if let Some(path) = record {
        run.save(path)?;
    }
    if let Some(path) = html {
        let file = record.map_or("(run again with --record FILE to keep one)".into(), |p| {
            p.display().to_string()
        });
        crate::export::write_atomic(path, &page_of_recording(run, &file, lesson)?)?;
    }
    Ok(())
}

/// Write the page of the recording at `input` to `out` (atomically).
pub fn export(input: &std::path::Path, out: &std::path::Path) -> Result<usize> {
    let run = RecordedRun::load(input)?;
    let text = page_of_recording(&run, &input.display().to_string(), None)?;
    crate::export::write_atomic(out, &text)?;
    Ok(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_is_filled_once_and_values_are_not_templates() {
        let t = "<title>{{TITLE}}</title>{{DATA}}{{NOPE}}";
        assert_eq!(
            fill(t, &[("TITLE", "{{DATA}}"), ("DATA", "x")]),
            "<title>{{DATA}}</title>x{{NOPE}}"
        );
        assert_eq!(escape_html("<b>\"&\""), "&lt;b&gt;&quot;&amp;&quot;");
        assert_eq!(
            (quantise(1.0), quantise(-2.0), quantise(0.0)),
            (32767, -32767, 0)
        );
    }
}
