//! The browser lab, built for the web and opened in headless Chromium from `file://`, as a
//! teacher hands it out: `web/build.sh` writes `dist/contrastive-lab.html`, then
//! `web/tests/browser.mjs` checks the page (it trains; links set its run, a bad value is named;
//! the SimSiam lesson collapses; a screenshot shows the classes; web and native end alike).
//!
//! It needs the web toolchain and Chromium with Playwright (`.ci/run` installs them; README,
//! "In a browser"): without them it fails and says what is missing.

use std::process::Command;

#[test]
fn the_browser_lab_trains_in_chromium_from_one_file() {
    let root = env!("CARGO_MANIFEST_DIR");
    let built = Command::new("bash")
        .arg("web/build.sh")
        .current_dir(root)
        .status()
        .unwrap_or_else(|e| panic!("bash web/build.sh: {e}"));
    assert!(built.success(), "web/build.sh failed (its output says why)");
    assert!(
        std::path::Path::new(root)
            .join("web/node_modules/playwright-core")
            .is_dir(),
        "Playwright is missing: npm ci --prefix web (and Chromium: apt-get install chromium)"
    );
    let out = Command::new("node")
        .arg("web/tests/browser.mjs")
        .env("LAB_BIN", env!("CARGO_BIN_EXE_contrastive-lab"))
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("node web/tests/browser.mjs: {e} (is Node.js installed?)"));
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the browser checks failed:\n{report}");
    assert!(
        report.lines().any(|l| l.starts_with("ok ")) && !report.contains("skipped"),
        "a check was skipped:\n{report}"
    );
}
