//! The page's own elements, through web-sys: the canvas, the address's hash, `#lab-status`, the
//! file picker and downloads, the console. Nothing here trains or draws.

use super::{Arrived, CANVAS_ID, STATUS_ID};
use crate::app::{AppCommand, LabApp};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_time::Instant;

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

fn document() -> Option<web_sys::Document> {
    window()?.document()
}

pub fn canvas() -> Option<web_sys::HtmlCanvasElement> {
    document()?
        .get_element_by_id(CANVAS_ID)?
        .dyn_into::<web_sys::HtmlCanvasElement>()
        .ok()
}

/// The address's hash, `#` included ("" when there is none).
pub fn location_hash() -> String {
    window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

pub fn console_error(text: &str) {
    web_sys::console::error_1(&JsValue::from_str(text));
}

/// Messages of panics, for `#lab-status` (the page stops after one: `panic = abort`).
static PANICS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Show a panic in `#lab-status` too, after the hook eframe installed (which logs it).
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        let text = format!("internal error: {info}");
        if let Ok(mut p) = PANICS.lock() {
            p.push(text.clone());
        }
        fatal(&text);
    }));
}

/// Something that stops the page: written into `#lab-status` as its one error.
pub fn fatal(text: &str) {
    let status = serde_json::json!({ "errors": [text], "fatal": true });
    set_status(&status.to_string());
}

fn set_status(text: &str) {
    if let Some(e) = document().and_then(|d| d.get_element_by_id(STATUS_ID)) {
        e.set_text_content(Some(text));
    }
}

/// The page's state between frames.
pub struct Page {
    ctx: egui::Context,
    /// Commands from outside the frame (a picked file, a new hash), applied at the next one.
    arrived: Arrived,
    /// Every message the page showed, first seen first.
    errors: Vec<String>,
    /// The hash the page last opened or wrote (a change to another one opens it).
    hash: Rc<RefCell<String>>,
    /// What `#lab-status` shows, and when it was written.
    written: (String, Instant),
    _on_hash_change: Option<Closure<dyn FnMut()>>,
}

impl Page {
    pub fn new(ctx: &egui::Context) -> Self {
        let arrived: Arrived = Rc::default();
        let hash: Rc<RefCell<String>> = Rc::default();
        let on_hash_change = {
            let (arrived, hash, ctx) = (Rc::clone(&arrived), Rc::clone(&hash), ctx.clone());
            Closure::<dyn FnMut()>::new(move || {
                let now = location_hash();
                if *hash.borrow() != now {
                    *hash.borrow_mut() = now.clone();
                    arrived.borrow_mut().push(AppCommand::OpenLink(now));
                    ctx.request_repaint();
                }
            })
        };
        let listening = window().is_some_and(|w| {
            w.add_event_listener_with_callback(
                "hashchange",
                on_hash_change.as_ref().unchecked_ref(),
            )
            .is_ok()
        });
        Self {
            ctx: ctx.clone(),
            arrived,
            errors: Vec::new(),
            hash,
            written: (String::new(), Instant::now()),
            _on_hash_change: listening.then_some(on_hash_change),
        }
    }

    pub fn set_hash_seen(&mut self, hash: &str) {
        *self.hash.borrow_mut() = hash.to_string();
    }

    /// Messages the page showed (kept once each).
    pub fn shown(&mut self, messages: impl IntoIterator<Item = String>) {
        for m in messages {
            if !self.errors.contains(&m) {
                self.errors.push(m);
            }
        }
    }

    /// The commands that arrived since the last frame.
    pub fn arrived(&mut self) -> Vec<AppCommand> {
        std::mem::take(&mut *self.arrived.borrow_mut())
    }

    /// After the app's frame: what it asked of the page (the picker, downloads, the shared
    /// link in the address bar), then `#lab-status`.
    pub fn after_frame(&mut self, app: &mut LabApp) {
        if let Some(request) = crate::browser_files::take_requests().pop() {
            self.pick(request.extension.as_deref());
        }
        for (name, bytes) in crate::browser_files::take_downloads() {
            if let Err(e) = download(&name, &bytes) {
                self.shown([format!("the download of {name} failed: {e:?}")]);
            }
        }
        if let Some(hash) = app.take_shared_link() {
            let replaced = window()
                .and_then(|w| w.history().ok())
                .map(|h| h.replace_state_with_url(&JsValue::NULL, "", Some(&hash)));
            if let Some(Err(e)) = replaced {
                self.shown([format!(
                    "the link could not be put in the address bar: {e:?}"
                )]);
            }
            // The whole address, to paste anywhere.
            if let Some(href) = window().and_then(|w| w.location().href().ok()) {
                self.ctx.copy_text(href);
            }
            *self.hash.borrow_mut() = hash;
        }
        self.shown(app.messages_shown());
        if let Ok(p) = PANICS.lock() {
            let panics = p.clone();
            drop(p);
            self.shown(panics);
        }
        let status = app.lab_status(&self.errors);
        // Written when it changed (a snapshot, a message), and a few times a second besides
        // (the frame rate and speed move continuously).
        let key = {
            let mut k = status.clone();
            if let Some(o) = k.as_object_mut() {
                o.remove("frames_per_s");
                o.remove("steps_per_s");
            }
            k.to_string()
        };
        if key != self.written.0 || self.written.1.elapsed() > Duration::from_millis(500) {
            set_status(&status.to_string());
            self.written = (key, Instant::now());
        }
    }

    /// Open the browser's file picker; the file, once read, arrives as
    /// [`AppCommand::FilePicked`].
    fn pick(&mut self, extension: Option<&str>) {
        if let Err(e) = open_picker(extension, Rc::clone(&self.arrived), self.ctx.clone()) {
            self.shown([format!("the file picker could not open: {e:?}")]);
        }
    }
}

fn open_picker(
    extension: Option<&str>,
    arrived: Arrived,
    ctx: egui::Context,
) -> Result<(), JsValue> {
    let document = document().ok_or("no document")?;
    let input: web_sys::HtmlInputElement = document.create_element("input")?.dyn_into()?;
    input.set_type("file");
    input.set_id("lab-file-picker");
    if let Some(x) = extension {
        input.set_accept(&format!(".{x}"));
    }
    input.style().set_property("display", "none")?;
    document.body().ok_or("no body")?.append_child(&input)?;
    let picked = input.clone();
    let on_change = Closure::once_into_js(move || {
        let file = picked.files().and_then(|f| f.get(0));
        picked.remove();
        let Some(file) = file else {
            return;
        };
        wasm_bindgen_futures::spawn_local(async move {
            let name = file.name();
            let command = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => {
                    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                    AppCommand::FilePicked(crate::browser_files::keep(&name, bytes))
                }
                Err(_) => {
                    AppCommand::FilePicked(format!("{}{name}", crate::browser_files::PREFIX).into())
                }
            };
            arrived.borrow_mut().push(command);
            ctx.request_repaint();
        });
    });
    input.add_event_listener_with_callback("change", on_change.unchecked_ref())?;
    input.click();
    Ok(())
}

/// Hand `bytes` to the browser as the download `name`.
fn download(name: &str, bytes: &[u8]) -> Result<(), JsValue> {
    let document = document().ok_or("no document")?;
    let parts = js_sys::Array::new();
    parts.push(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(name);
    a.style().set_property("display", "none")?;
    document.body().ok_or("no body")?.append_child(&a)?;
    a.click();
    a.remove();
    web_sys::Url::revoke_object_url(&url)?;
    Ok(())
}
