//! The web page of a run, opened in a real browser (Debian's headless Chromium, which
//! `.ci/run` installs): the page's script runs without an error, scrubs to the step the address
//! asks for, makes no request, and shows text from files as text.

use std::path::Path;
use std::process::{Command, Output};

fn bin(args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_contrastive-lab"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("could not start the binary: {e}"));
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Headless Chromium at 1400 × 1000 on `page` with the address `fragment`, doing `what`
/// (`--dump-dom`, `--screenshot=FILE`).
fn chromium(page: &Path, fragment: &str, what: &str) -> Output {
    let url = format!("file://{}{fragment}", page.display());
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1400,1000",
            "--virtual-time-budget=2000",
            what,
            &url,
        ])
        .output()
        .unwrap_or_else(|e| {
            panic!("headless Chromium is needed (apt-get install chromium; .ci/run does): {e}")
        })
}

/// The page's DOM after its script ran, as headless Chromium dumps it.
fn dump_dom(page: &Path, fragment: &str) -> String {
    String::from_utf8_lossy(&chromium(page, fragment, "--dump-dom").stdout).to_string()
}

/// How many pixels of the screenshot inside the first sphere view's circle have a class's
/// colour (the page says where the view is in `data-sphere-rect`).
fn coloured_points_in_circle(shot: &Path, dom: &str) -> usize {
    let rect: Vec<f32> = dom
        .split("data-sphere-rect=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .split(',')
        .filter_map(|v| v.parse().ok())
        .collect();
    let [x, y, w, _] = rect[..] else {
        panic!("the page did not say where its sphere view is");
    };
    let img = image::open(shot)
        .unwrap_or_else(|e| panic!("{}: {e}", shot.display()))
        .to_rgb8();
    const PALETTE: [[u8; 3]; 10] = [
        [78, 121, 167],
        [242, 142, 43],
        [225, 87, 89],
        [118, 183, 178],
        [89, 161, 79],
        [237, 201, 72],
        [176, 122, 161],
        [255, 157, 167],
        [156, 117, 95],
        [186, 176, 172],
    ];
    let (cx, cy, r) = (x + w / 2.0, y + w / 2.0, w / 2.0 / 1.1 + 3.0);
    img.enumerate_pixels()
        .filter(|(px, py, p)| {
            let (dx, dy) = (*px as f32 - cx, *py as f32 - cy);
            dx * dx + dy * dy <= r * r
                && PALETTE
                    .iter()
                    .any(|c| c.iter().zip(p.0).all(|(a, b)| a.abs_diff(b) <= 6))
        })
        .count()
}

/// The page of 20 steps of SimCLR on `dataset`, written into `dir`.
fn simclr_page(dir: &Path, dataset: &str) -> std::path::PathBuf {
    let page = dir.join("simclr.html");
    bin(&[
        "run",
        "--method",
        "simclr",
        "--dataset",
        dataset,
        "--steps",
        "20",
        "--quiet",
        "--html",
        &page.to_string_lossy(),
        "--out",
        &dir.join("run").to_string_lossy(),
    ]);
    page
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn a_lesson_run_as_a_page_runs_its_script_offline_and_scrubs_to_the_asked_step() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let at = |name: &str| dir.path().join(name).to_string_lossy().to_string();
    let (page, clr) = (at("lesson.html"), at("lesson.clr"));
    bin(&[
        "run",
        "--lesson",
        "simsiam-stop-gradient",
        "--steps",
        "300",
        "--quiet",
        "--record",
        &clr,
        "--html",
        &page,
        "--out",
        &at("run"),
    ]);
    let text = read(Path::new(&page));
    // One file, nothing fetched: no address of any kind, no external script or style.
    for banned in [
        "http://",
        "https://",
        "<script src",
        "<link",
        "@import",
        "url(",
    ] {
        assert!(!text.contains(banned), "the page holds `{banned}`");
    }
    assert!(text.contains("Without stop-gradient, what will the loss do?"));
    // `export-html` of the recording writes the very same page.
    let again = at("again.html");
    bin(&["export-html", &clr, "--out", &again]);
    assert!(
        read(Path::new(&again)) == text,
        "export-html wrote another page than run --html"
    );

    let dom = dump_dom(Path::new(&page), "");
    assert!(
        dom.contains("data-status=\"ok\""),
        "the script did not finish: {}",
        &dom[..dom.len().min(400)]
    );
    assert!(dom.contains("ready: 31 snapshots, 1 run, 0 errors"));
    assert!(dom.contains("data-step=\"0\""));
    // The screenshot shows the class-coloured points inside the circle, at the start and
    // gathered at the end.
    for fragment in ["", "#step=300"] {
        let shot = dir.path().join("shot.png");
        let what = format!("--screenshot={}", shot.display());
        chromium(Path::new(&page), fragment, &what);
        let dom = dump_dom(Path::new(&page), fragment);
        let points = coloured_points_in_circle(&shot, &dom);
        assert!(
            points >= 100,
            "{fragment}: {points} coloured pixels in the circle"
        );
    }
    // A damaged or foreign file is refused, naming it.
    let foreign = at("foreign.clr");
    std::fs::write(&foreign, "not a recording").unwrap_or_else(|e| panic!("{e}"));
    let o = Command::new(env!("CARGO_BIN_EXE_contrastive-lab"))
        .args(["export-html", &foreign, "--out", &at("foreign.html")])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("foreign.clr"), "{err}");
    // The address picks the step, snapped to a recorded one, and the caption names the change.
    let dom = dump_dom(Path::new(&page), "#step=200");
    assert!(
        dom.contains("data-status=\"ok\"") && dom.contains("data-step=\"200\""),
        "{}",
        &dom[..dom.len().min(400)]
    );
    assert!(
        dom.contains("stop_gradient true -&gt; false (step 100)"),
        "the caption lacks the change"
    );
}

#[test]
fn a_point_of_an_image_dataset_shows_its_sample_on_hover() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let page = simclr_page(dir.path(), "shapes");
    let dom = dump_dom(&page, "#hover=5");
    assert!(
        dom.contains("data-status=\"ok\""),
        "{}",
        &dom[..dom.len().min(300)]
    );
    let card = dom
        .split("id=\"tooltip\"")
        .nth(1)
        .unwrap_or_default()
        .split("</div>")
        .next()
        .unwrap_or_default();
    assert!(card.contains("probe sample 5: "), "{card}");
    assert!(
        card.contains("<canvas width=\"16\" height=\"16\""),
        "no picture of the sample: {card}"
    );
}

#[test]
fn class_names_from_a_file_are_shown_as_text_in_the_page() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let csv = dir.path().join("hostile.csv");
    let mut rows = String::from("a,b,c,d,label\n");
    for i in 0..120 {
        let class = if i % 2 == 0 {
            "</script><b>bold</b>"
        } else {
            "salt & pepper"
        };
        let x = (i % 2) as f64 * 3.0 + (i as f64 * 0.37).sin();
        rows += &format!("{x},{},{},{},{class}\n", (i as f64).cos(), x * 0.5, -x);
    }
    std::fs::write(&csv, rows).unwrap_or_else(|e| panic!("{e}"));
    let page = simclr_page(dir.path(), &format!("csv:{}", csv.display()));
    let text = read(&page);
    assert!(
        !text.contains("</script><b>"),
        "a class name ended the data's script element"
    );
    let dom = dump_dom(&page, "");
    assert!(
        dom.contains("data-status=\"ok\""),
        "{}",
        &dom[..dom.len().min(400)]
    );
    // In the legend, as text: escaped in the DOM, never an element.
    assert!(
        dom.contains("&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"),
        "the name is not shown as text"
    );
    assert!(!dom.contains("<b>bold</b>"));
    assert!(dom.contains("salt &amp; pepper"));
    // SimCLR's own numbers have plots of their own, its loss the chance line ln N.
    assert!(
        dom.contains("mi_bound: ln N − loss"),
        "no plot of the method's own numbers"
    );
    let text = read(&page);
    assert!(text.contains("ln N = ln "), "the loss plot lacks ln N");
}

#[test]
fn a_comparison_and_a_sweep_make_pages_that_open() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let at = |name: &str| dir.path().join(name).to_string_lossy().to_string();
    let common = ["--method", "simsiam", "--dataset", "blobs", "--quiet"];
    let (compare, compare_clr) = (at("compare.html"), at("compare.clr"));
    let mut args = vec!["run", "--steps", "200", "--compare", "stop_gradient=false"];
    args.extend([
        "--fork-at",
        "50",
        "--html",
        &compare,
        "--record",
        &compare_clr,
    ]);
    let out = at("compare");
    args.extend(["--out", &out]);
    args.extend(common);
    bin(&args);
    let dom = dump_dom(Path::new(&compare), "#step=150");
    assert!(dom.contains("data-status=\"ok\"") && dom.contains("data-step=\"150\""));
    // Both runs, B named by its difference, on every plot (B dashed, said above the plots).
    assert!(dom.contains("B: stop_gradient = false (forked at step 50)"));
    assert!(dom.contains("solid: A: this run · dashed: B:"));
    let shot = dir.path().join("compare.png");
    let what = format!("--screenshot={}", shot.display());
    chromium(Path::new(&compare), "#step=150", &what);
    let points = coloured_points_in_circle(&shot, &dom);
    assert!(points >= 100, "{points} coloured pixels in A's circle");
    // Its recording holds both runs: export-html makes the same page, replay writes a/ and b/.
    let again = at("compare-again.html");
    bin(&["export-html", &compare_clr, "--out", &again]);
    assert!(
        read(Path::new(&again)) == read(Path::new(&compare)),
        "export-html made another page"
    );
    let replayed = at("replayed");
    bin(&["replay", &compare_clr, "--out", &replayed]);
    for side in ["a", "b"] {
        assert!(
            dir.path()
                .join("replayed")
                .join(side)
                .join("metrics.csv")
                .is_file()
        );
    }

    let (sweep, clr) = (at("sweep.html"), at("sweep.clr"));
    let mut args = vec![
        "run",
        "--steps",
        "60",
        "--sweep",
        "lr=0.01,0.1",
        "--html",
        &sweep,
    ];
    let out = at("sweep");
    args.extend(["--record", &clr, "--out", &out]);
    args.extend(common);
    bin(&args);
    let dom = dump_dom(Path::new(&sweep), "");
    assert!(
        dom.contains("data-status=\"ok\""),
        "{}",
        &dom[..dom.len().min(300)]
    );
    assert!(dom.contains("learning rate = 0.01") && dom.contains("learning rate = 0.1"));
    assert!(dom.contains("against lr (log scale)"));
    // The sweep's recording is one file the app opens as the sweep, and its page is the same.
    let run = contrastive_lab::recorded::RecordedRun::load(Path::new(&clr))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.others.len(), 1);
    let again = at("again.html");
    bin(&["export-html", &clr, "--out", &again]);
    assert!(
        read(Path::new(&again)) == read(Path::new(&sweep)),
        "export-html made another page"
    );
    // A shard cannot make the sweep's page.
    let o = Command::new(env!("CARGO_BIN_EXE_contrastive-lab"))
        .args([
            "run",
            "--sweep",
            "lr=0.01,0.1",
            "--shard",
            "0/2",
            "--html",
            &at("x.html"),
            "--out",
            &at("x"),
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("--shard"), "{err}");
}
