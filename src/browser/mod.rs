//! The browser lab: the desktop app's own code on a page (`web/build.sh` builds it). eframe's
//! `WebRunner` draws [`LabApp`] on the page's canvas; the runs train on Burn's flex backend on
//! the page's one thread, a slice of every frame ([`crate::run::Drive::Frames`]). What only a
//! page has is here: the address's hash is the run ([`crate::link`]), `#lab-status` shows the
//! state as JSON for tests and scripts, the file picker fills the File menu's windows and a
//! file the app writes is a download ([`crate::browser_files`]).

mod page;

use crate::app::{AppCommand, AppOptions, LabApp};
use crate::run::Drive;
use crate::train::DeviceChoice;
use page::Page;

/// The id of the canvas the page draws in (`web/index.html`).
pub const CANVAS_ID: &str = "lab-canvas";
/// The id of the element whose text is the state as JSON.
pub const STATUS_ID: &str = "lab-status";

/// Start the lab on the page (the wasm binary's `main`).
pub fn start() {
    let Some(canvas) = page::canvas() else {
        page::console_error(&format!(
            "contrastive-lab: no <canvas id=\"{CANVAS_ID}\"> on the page"
        ));
        return;
    };
    let hash = page::location_hash();
    wasm_bindgen_futures::spawn_local(async move {
        let runner = eframe::WebRunner::new();
        // After eframe's own: a panic also shows in `#lab-status` (the page stops then).
        page::install_panic_hook();
        let started = runner
            .start(
                canvas,
                eframe::WebOptions::default(),
                Box::new(move |cc| Ok(Box::new(WebLab::new(cc, &hash)))),
            )
            .await;
        if let Err(e) = started {
            page::fatal(&format!("the lab could not start: {e:?}"));
        }
    });
}

/// The app and the page around it.
struct WebLab {
    app: LabApp,
    page: Page,
}

impl WebLab {
    fn new(cc: &eframe::CreationContext<'_>, hash: &str) -> Self {
        let linked = !hash.trim_start_matches('#').is_empty();
        let options = AppOptions {
            device: DeviceChoice::Cpu,
            drive: Drive::Frames,
            // A link is the run: the last visit's saved settings do not mix into it, and the
            // first run is already the link's.
            fresh: linked,
            config: linked.then(|| crate::app::link::start_config(hash)),
            ..AppOptions::default()
        };
        let mut app = LabApp::new(cc, options);
        let mut page = Page::new(&cc.egui_ctx);
        if linked {
            // What it leaves out shows in the banner, which the page lists in its errors.
            app.open_link(hash);
        }
        page.set_hash_seen(hash);
        Self { app, page }
    }
}

impl eframe::App for WebLab {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        for command in self.page.arrived() {
            self.app.apply(command);
        }
        eframe::App::ui(&mut self.app, ui, frame);
        self.page.after_frame(&mut self.app);
    }

    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        eframe::App::clear_color(&self.app, visuals)
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::App::save(&mut self.app, storage);
    }
}

/// What the page hands the app: a picked file, a new hash.
pub(crate) type Arrived = std::rc::Rc<std::cell::RefCell<Vec<AppCommand>>>;
