//! The run on screen as a link, and a link opened as a run (the browser lab's URL hash; see
//! [`crate::link`] for its keys). A link with a lesson starts from the lesson's run; one without
//! from the page's defaults for its method; either with the link's settings on top and its
//! script (or, with none given, the lesson's).

use super::embedding::Projection;
use super::{AppState, LabApp, config_for_method};
use crate::config::RunConfig;
use crate::link::{Link, LinkView};

impl LabApp {
    /// Open the run `hash` describes in place of the runs shown. Returns the messages of the
    /// pairs left out (shown in the banner too); the rest of the link is opened.
    pub fn open_link(&mut self, hash: &str) -> Vec<String> {
        let (link, mut errors) = Link::parse(hash);
        let lesson = link
            .lesson
            .as_deref()
            .and_then(|id| match self.lesson_scenario(id) {
                Ok(found) => Some(found),
                Err(e) => {
                    errors.push(format!("link: {e}"));
                    None
                }
            });
        let base = match &lesson {
            Some((s, _)) => s.config.clone(),
            None => link_base(link.method().unwrap_or(crate::config::Method::SimClr)),
        };
        let (mut scenario, error) = link.scenario(base);
        errors.extend(error);
        match lesson {
            Some((lesson_run, lesson)) => {
                if link.script.is_empty() {
                    scenario.script = lesson_run.script;
                }
                if scenario.compare.is_none() {
                    scenario.sweep = lesson_run.sweep;
                }
                self.show_phenomenon(lesson.phenomenon);
                self.lesson.lesson = Some(lesson);
                self.lesson.answer = None;
            }
            None => self.lesson.lesson = None,
        }
        if let Err(e) = self.load_scenario(scenario) {
            errors.push(format!("link: {e}"));
        }
        if let Some(view) = link.view {
            self.state.view.tab = super::embedding::CentralTab::Embedding;
            self.state.view.projection = match view {
                LinkView::Sphere => Projection::Unit,
                LinkView::Pca => Projection::Pca,
                LinkView::Tsne => Projection::Tsne,
            };
        }
        self.state.view.present = link.present;
        if !errors.is_empty() {
            self.files.message = Some(Err(format!(
                "{} (the rest of the link is open)",
                errors.join("; ")
            )));
        }
        errors
    }

    /// The link of the run on screen: its start config (as differences from the lesson's or
    /// the page's defaults), its changes so far and those still scripted, the lesson whose
    /// card is shown, run B's changes, the view.
    pub fn share_link(&self) -> Link {
        let config = self.config();
        let status = self.status();
        let start = crate::scenario::Scenario::from_run(config, &status.events)
            .map_or_else(|_| config.clone(), |s| s.config);
        let lesson = self
            .current_lesson()
            .and_then(|l| self.lesson_scenario(&l.id).ok());
        let base = match &lesson {
            Some((s, _)) => s.config.clone(),
            None => link_base(start.method),
        };
        let mut link = Link::of_run(&start, &status.events, &base);
        // What the script will still change (a lesson's change not yet made).
        let done = status.step;
        link.script.extend(
            status
                .script
                .iter()
                .filter(|s| s.step >= done && !status.events.iter().any(|e| e.step == s.step))
                .cloned(),
        );
        link.lesson = lesson.map(|(_, l)| l.id.clone());
        link.compare = self
            .comparison()
            .map(|c| c.changes.clone())
            .unwrap_or_default();
        link.view = match self.state.view.projection {
            Projection::Pca => Some(LinkView::Pca),
            Projection::Tsne => Some(LinkView::Tsne),
            _ => None,
        };
        link.present = self.state.view.present;
        link
    }

    /// Share: the link of the run on screen, copied (in the browser the page copies its whole
    /// address once the link is in it, see [`Self::take_shared_link`]).
    pub(super) fn share(&mut self) {
        let hash = self.share_link().to_hash();
        self.files.message = Some(Ok(if cfg!(target_arch = "wasm32") {
            "copied the link of this run: opening it replays the run (same seed, same build)"
                .to_string()
        } else {
            self.window.ctx.copy_text(hash.clone());
            format!(
                "copied {hash}: add it to the browser lab's address (contrastive-lab.html{hash}) to open this run there"
            )
        }));
        self.shared_link = Some(hash);
    }

    /// The link last shared, once (the page puts it in its address bar).
    pub fn take_shared_link(&mut self) -> Option<String> {
        self.shared_link.take()
    }
}

/// The start config of the run `hash` describes, without an app (the browser lab starts its first
/// run with it, so that even its first snapshot is the link's run): what
/// [`LabApp::open_link`] starts, but that a lesson's snapshot rate is the page's default.
pub fn start_config(hash: &str) -> RunConfig {
    let (link, _) = Link::parse(hash);
    let defaults = AppState::default().config;
    let lesson = link
        .lesson
        .as_deref()
        .and_then(|id| crate::lessons::find(id).ok());
    let base = lesson
        .and_then(|l| super::lesson_card::lesson_start(l, true, &defaults).ok())
        .map_or_else(
            || link_base(link.method().unwrap_or(crate::config::Method::SimClr)),
            |s| s.config,
        );
    link.config(base).0
}

/// What a link without a lesson starts from: `method`'s defaults as the page starts them (its
/// snapshot rate and probe size, the data set the method needs, seed 0).
pub fn link_base(method: crate::config::Method) -> RunConfig {
    config_for_method(&AppState::default().config, method)
}
