// The browser lab in headless Chromium, opened from file:// as a teacher hands it out
// (dist/contrastive-lab.html, built by web/build.sh). Each check opens the page with a hash,
// reads #lab-status (one JSON object, written at every snapshot) and checks what a class
// relies on. Run: node web/tests/browser.mjs [--only NAME] [--shots DIR]
//   LAB_PAGE   the page (default dist/contrastive-lab.html)
//   LAB_BIN    the native binary, for the web-vs-native check (skipped with a note if unset)
//   CHROMIUM   the browser (default /usr/bin/chromium)
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pagePath = path.resolve(root, process.env.LAB_PAGE ?? 'dist/contrastive-lab.html');
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const shots = args.includes('--shots') ? path.resolve(args[args.indexOf('--shots') + 1]) : null;
if (shots) mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic',
    // WebGL on the CPU (SwiftShader): the canvas draws, and a screenshot captures it.
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
  ],
});

/** The page opened with `hash`: its statuses as they come (one per change), its console. */
async function openLab(hash = '', { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.addInitScript(() => {
    window.__statuses = [];
    const watch = () => {
      const el = document.getElementById('lab-status');
      if (!el) return requestAnimationFrame(watch);
      new MutationObserver(() => {
        try { window.__statuses.push(JSON.parse(el.textContent)); } catch (e) { /* partial */ }
      }).observe(el, { childList: true, characterData: true, subtree: true });
    };
    document.addEventListener('DOMContentLoaded', watch);
  });
  const url = pathToFileURL(pagePath).href + hash;
  const opened = Date.now();
  await page.goto(url);
  const lab = {
    page, context, problems, opened,
    async status() {
      const text = await page.textContent('#lab-status');
      return JSON.parse(text);
    },
    async statuses() { return page.evaluate(() => window.__statuses); },
    /** Wait until `pred(status)` holds (polled each frame); the status that passed. */
    async until(what, pred, timeoutMs = 90_000) {
      const start = Date.now();
      let last = null;
      while (Date.now() - start < timeoutMs) {
        last = await lab.status();
        if (last.fatal) throw new Error(`${what}: the page stopped: ${JSON.stringify(last.errors)}`);
        if (pred(last)) return last;
        await page.waitForTimeout(100);
      }
      throw new Error(`${what}: not within ${timeoutMs / 1000} s; last status ${JSON.stringify(last)}`);
    },
    /** Click at (x, y) as a hand does: over it first (egui takes a press on what the pointer
     * is over since the last frame), then press and release. */
    async click([x, y]) {
      await page.mouse.move(x, y);
      await page.waitForTimeout(300);
      await page.mouse.down();
      await page.waitForTimeout(100);
      await page.mouse.up();
      await page.waitForTimeout(400);
    },
    async shot(name) {
      const png = await page.screenshot();
      if (shots) writeFileSync(path.join(shots, `${name}.png`), png);
      return png;
    },
    async close() { await context.close(); },
  };
  return lab;
}

/** Pixels of a screenshot, counted in the browser (it decodes the PNG): how many are in each
 * class colour of the app's palette, within `tolerance`, inside `region` (fractions). */
async function paletteCounts(lab, png, region = { x0: 0, y0: 0, x1: 1, y1: 1 }) {
  const palette = [[78, 121, 167], [242, 142, 43], [225, 87, 89], [118, 183, 178], [89, 161, 79],
    [237, 201, 72], [176, 122, 161], [255, 157, 167], [156, 117, 95], [186, 176, 172]];
  const page = await lab.context.newPage();
  const counts = await page.evaluate(async ({ b64, palette, region }) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const x0 = Math.floor(region.x0 * img.width), x1 = Math.floor(region.x1 * img.width);
    const y0 = Math.floor(region.y0 * img.height), y1 = Math.floor(region.y1 * img.height);
    const data = g.getImageData(x0, y0, x1 - x0, y1 - y0).data;
    const counts = palette.map(() => 0);
    for (let i = 0; i < data.length; i += 4) {
      palette.forEach(([r, gg, b], k) => {
        if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - gg) + Math.abs(data[i + 2] - b) < 30) counts[k]++;
      });
    }
    return counts;
  }, { b64: png.toString('base64'), palette, region });
  await page.close();
  return counts;
}

const checks = [];
const check = (name, f) => checks.push({ name, f });
const assert = (ok, what) => { if (!ok) throw new Error(what); };

check('trains', async () => {
  const lab = await openLab('#seed=0');
  const first = await lab.until('the first snapshot', (s) => s.snapshot_step === 0);
  const firstAt = Date.now() - lab.opened;
  await lab.until('the first trained snapshot', (s) => s.snapshot_step > 0);
  const trainedAt = Date.now() - lab.opened;
  const trained = await lab.until('kNN >= 0.9 on blobs', (s) => s.knn >= 0.9 && s.step > 0);
  assert(first.knn < 0.9, `the random encoder's kNN is already ${first.knn}`);
  assert(trained.config.method === 'simclr' && trained.drive === 'frames', JSON.stringify(trained));
  const later = await lab.until('the step to grow', (s) => s.step > trained.step);
  assert(lab.problems.length === 0, lab.problems.join('\n'));
  await lab.close();
  return `kNN ${first.knn.toFixed(3)} at step 0 -> ${trained.knn.toFixed(3)} at step ${trained.snapshot_step}; step 0's snapshot ${firstAt} ms after opening, the first trained one ${trainedAt} ms; step ${later.step}`;
});

check('simsiam-collapses-without-stop-gradient', async () => {
  const collapsed = await openLab('#method=simsiam&stop_gradient=false');
  const c = await collapsed.until('std·√d < 0.1', (s) => s.std_sqrt_d < 0.1);
  assert(collapsed.problems.length === 0, collapsed.problems.join('\n'));
  await collapsed.close();
  const healthy = await openLab('#method=simsiam');
  const h = await healthy.until('default SimSiam past the collapsed run\'s step', (s) => s.snapshot_step >= Math.max(c.snapshot_step, 150));
  assert(h.std_sqrt_d > 0.5, `default SimSiam at step ${h.snapshot_step}: std·√d ${h.std_sqrt_d}`);
  assert(h.config.stop_gradient === true && c.config.stop_gradient !== true, 'stop_gradient in config');
  await healthy.close();
  return `without stop-gradient std·√d ${c.std_sqrt_d.toFixed(3)} at step ${c.snapshot_step}; with it ${h.std_sqrt_d.toFixed(3)} at step ${h.snapshot_step}`;
});

check('temperature-from-the-hash', async () => {
  const lab = await openLab('#temperature=0.2');
  const s = await lab.until('a snapshot', (s) => s.snapshot_step !== null && s.snapshot_step !== undefined);
  // The first snapshot is already the link's run.
  assert(s.config.temperature === 0.2, `config.temperature ${s.config.temperature}`);
  assert(s.errors.length === 0, JSON.stringify(s.errors));
  await lab.close();
  return `config.temperature ${s.config.temperature}`;
});

check('a-bad-hash-value-is-listed-and-the-page-trains', async () => {
  const lab = await openLab('#temperature=banana&seed=2');
  const s = await lab.until('training', (s) => s.step > 20);
  assert(s.errors.some((e) => e.includes('temperature') && e.includes('banana')), JSON.stringify(s.errors));
  assert(s.config.seed === 2, `seed ${s.config.seed}`);
  assert(lab.problems.length === 0, lab.problems.join('\n'));
  await lab.close();
  return `errors: ${JSON.stringify(s.errors)}`;
});

check('the-simsiam-lesson-shows-its-collapse', async () => {
  const lab = await openLab('#lesson=simsiam-stop-gradient');
  await lab.until('the lesson', (s) => s.lesson === 'simsiam-stop-gradient' && s.snapshot_step > 0);
  // The lesson's own check (assets/lessons/simsiam-stop-gradient.toml): std·√d falls below 0.3
  // of its value at the last snapshot before the change (step 100).
  await lab.until('the change at step 100', (s) => s.snapshot_step > 100, 120_000);
  const change = (await lab.statuses()).filter((s) => s.snapshot_step <= 100).pop();
  assert(change && change.config.stop_gradient === true, `no snapshot before the change: ${JSON.stringify(change)}`);
  const after = await lab.until('the collapse after stop-gradient goes',
    (s) => s.config.stop_gradient === false && s.std_sqrt_d < 0.3 * change.std_sqrt_d, 240_000);
  await lab.page.waitForTimeout(1500);
  await lab.shot('simsiam-lesson-collapse');
  assert(lab.problems.length === 0, lab.problems.join('\n'));
  await lab.close();
  return `std·√d ${change.std_sqrt_d.toFixed(3)} at step ${change.snapshot_step} (the change) -> ${after.std_sqrt_d.toFixed(3)} at step ${after.snapshot_step}`;
});

check('compare-two-runs-side-by-side', async () => {
  const lab = await openLab('#method=simsiam&compare=stop_gradient=false');
  const s = await lab.until('two runs training', (s) => s.runs === 2 && s.step > 30);
  assert(s.errors.length === 0, JSON.stringify(s.errors));
  assert(lab.problems.length === 0, lab.problems.join('\n'));
  await lab.shot('compare');
  await lab.close();
  return `runs ${s.runs} at step ${s.step}`;
});

// The File menu's windows sit where egui lays them out in a 1280 × 800 page (the menu's
// entries 23 px apart, a window's first button under its text).
const FILE_MENU = [19, 12];
const TRAIN_ON_A_CSV = [62, 177];
const CHOOSE_A_FILE = [86, 133];
const OPEN_LESSON = [56, 85];
const EXPORT = [41, 200];
const SHARE = [221, 12];
const EXPORT_METRICS = [220, 85];
const EXPORT_WINDOW = [92, 108];
const EXPORT_PAGE = [343, 108];
const SAVE_RUN = [46, 131];
const SAVE_BUTTON = [44, 141];

/** A training page whose File menu `entry` is given `file` through the browser's file picker. */
async function pickInTheFileMenu(entry, file) {
  const lab = await openLab('#seed=0');
  await lab.until('training', (s) => s.step > 5);
  await lab.click(FILE_MENU);
  await lab.click(entry);
  const [chooser] = await Promise.all([
    lab.page.waitForEvent('filechooser', { timeout: 10_000 }),
    lab.click(CHOOSE_A_FILE),
  ]);
  await chooser.setFiles(file);
  return lab;
}

check('a-picked-csv-trains', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lab-csv-'));
  const csv = path.join(dir, 'three classes.csv');
  // Three classes of 4-d vectors well apart (as tests/common.rs three_classes), 300 rows.
  let rows = 'a,b,c,d,label\n';
  let seed = 7;
  const noise = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; };
  for (let i = 0; i < 300; i++) {
    const k = i % 3;
    rows += [3 * k + noise(), -2 * k + noise(), 1 + noise(), noise(), `class${k}`].join(',') + '\n';
  }
  writeFileSync(csv, rows);
  const lab = await pickInTheFileMenu(TRAIN_ON_A_CSV, csv);
  const s = await lab.until('training on the picked CSV', (s) => String(s.config.dataset).startsWith('csv:') && s.snapshot_step >= 20);
  assert(s.errors.length === 0, JSON.stringify(s.errors));
  assert(lab.problems.length === 0, lab.problems.join('\n'));
  await lab.close();
  return `dataset ${s.config.dataset}, kNN ${s.knn.toFixed(3)} at step ${s.snapshot_step}`;
});

check('a-picked-lesson-file-opens', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lab-lesson-'));
  const file = path.join(dir, 'my lesson.toml');
  const text = readFileSync(path.join(root, 'assets/lessons/temperature.toml'), 'utf8')
    .replace('id = "temperature"', 'id = "my-temperature"');
  writeFileSync(file, text);
  const lab = await pickInTheFileMenu(OPEN_LESSON, file);
  const s = await lab.until('the picked lesson', (s) => s.lesson === 'my-temperature' && s.snapshot_step >= 10);
  assert(lab.problems.length === 0, lab.problems.join('\n'));
  await lab.close();
  return `lesson ${s.lesson}, ${s.config.method} at step ${s.snapshot_step}`;
});

check('a-run-downloads-as-a-recording-the-desktop-opens', async () => {
  const lab = await openLab('#method=simsiam&seed=1');
  await lab.until('some snapshots', (s) => s.snapshot_step >= 30);
  await lab.click(FILE_MENU);
  await lab.click(SAVE_RUN);
  const [download] = await Promise.all([
    lab.page.waitForEvent('download', { timeout: 20_000 }),
    lab.click(SAVE_BUTTON),
  ]);
  const dir = mkdtempSync(path.join(tmpdir(), 'lab-download-'));
  const saved = path.join(dir, download.suggestedFilename());
  await download.saveAs(saved);
  const s = await lab.status();
  assert(s.errors.length === 0, JSON.stringify(s.errors));
  await lab.close();
  assert(download.suggestedFilename() === 'run.clr', download.suggestedFilename());
  const bin = process.env.LAB_BIN;
  if (!bin) return `downloaded ${saved} (not opened: LAB_BIN is not set)`;
  const page = path.join(dir, 'run.html');
  execFileSync(bin, ['export-html', saved, '--out', page], { stdio: 'inherit' });
  const html = readFileSync(page, 'utf8');
  assert(html.includes('SimSiam'), 'the exported page does not name the run');
  return `downloaded run.clr (${readFileSync(saved).length} bytes), which export-html opens`;
});

check('the-timeline-scrubs-back-and-returns-live', async () => {
  const lab = await openLab('#seed=0');
  await lab.until('some snapshots', (s) => s.snapshot_step >= 40);
  await lab.click([590, 680]); // the embedding view: the keys go to the page
  await lab.page.keyboard.press('Space');
  const paused = await lab.until('paused', (s) => s.paused);
  for (let i = 0; i < 3; i++) await lab.page.keyboard.press('ArrowLeft');
  const back = await lab.until('three snapshots back', (s) => s.timeline_step !== null);
  assert(back.timeline_step < paused.snapshot_step, `timeline at ${back.timeline_step}, run at ${paused.snapshot_step}`);
  await lab.page.keyboard.press('End');
  const live = await lab.until('live again', (s) => s.timeline_step === null);
  await lab.close();
  return `paused at step ${paused.snapshot_step}, scrubbed to ${back.timeline_step}, live at ${live.snapshot_step}`;
});

check('exports-are-downloads', async () => {
  const lab = await openLab('#seed=0');
  await lab.until('some snapshots', (s) => s.snapshot_step >= 20);
  const downloads = [];
  lab.page.on('download', (d) => downloads.push(d));
  await lab.click(FILE_MENU);
  await lab.click(EXPORT);
  for (const button of [EXPORT_METRICS, EXPORT_WINDOW, EXPORT_PAGE]) {
    await lab.click(button);
    await lab.page.waitForTimeout(1500);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'lab-exports-'));
  const names = [];
  for (const d of downloads) {
    const to = path.join(dir, d.suggestedFilename());
    await d.saveAs(to);
    names.push(d.suggestedFilename());
  }
  const named = (re) => names.find((n) => re.test(n));
  for (const re of [/^metrics-step\d+\.csv$/, /^events-step\d+\.csv$/, /^window-step\d+\.png$/, /^page-step\d+\.html$/]) {
    assert(named(re), `no download like ${re}: ${names.join(', ')}`);
  }
  const png = readFileSync(path.join(dir, named(/\.png$/)));
  assert(png.subarray(1, 4).toString() === 'PNG' && png.length > 10_000, `the window's PNG: ${png.length} bytes`);
  const csv = readFileSync(path.join(dir, named(/^metrics/)), 'utf8');
  assert(csv.startsWith('step,loss'), csv.slice(0, 80));
  const s = await lab.status();
  assert(s.errors.length === 0, JSON.stringify(s.errors));
  await lab.close();
  return `downloads: ${names.join(', ')}`;
});

check('a-shared-link-replays-the-run', async () => {
  const a = await openLab('#lesson=simsiam-stop-gradient&seed=2');
  await a.until('past the lesson\'s change', (s) => s.snapshot_step >= 150);
  await a.click(SHARE);
  const link = await a.page.evaluate(() => location.hash);
  assert(link.includes('lesson=simsiam-stop-gradient') && link.includes('script=100:stop_gradient=false') && link.includes('seed=2'), link);
  const at = (statuses, step) => statuses.find((s) => s.snapshot_step === step);
  const recorded = await a.statuses();
  await a.close();
  const b = await openLab(link);
  await b.until('the shared run past step 150', (s) => s.snapshot_step >= 150);
  const replayed = await b.statuses();
  await b.close();
  const compared = [50, 100, 120, 150].filter((step) => at(recorded, step) && at(replayed, step));
  assert(compared.length >= 2, `few steps seen in both: ${compared}`);
  for (const step of compared) {
    const [x, y] = [at(recorded, step), at(replayed, step)];
    assert(x.loss === y.loss && x.knn === y.knn && x.std_sqrt_d === y.std_sqrt_d,
      `step ${step}: ${JSON.stringify([x.loss, x.knn, x.std_sqrt_d])} vs ${JSON.stringify([y.loss, y.knn, y.std_sqrt_d])}`);
  }
  return `${link}: the same loss, kNN and std·√d at steps ${compared.join(', ')}`;
});

check('the-screenshot-shows-class-coloured-points', async () => {
  const lab = await openLab('#seed=0');
  await lab.until('kNN >= 0.9', (s) => s.knn >= 0.9);
  await lab.page.waitForTimeout(1500);
  const png = await lab.shot('healthy-run');
  // The embedding is the middle of the window, between the controls and the plots.
  const counts = await paletteCounts(lab, png, { x0: 0.25, y0: 0.15, x1: 0.68, y1: 0.9 });
  const classes = counts.filter((n) => n >= 40).length;
  assert(classes >= 3, `class colours in the embedding view: ${counts}`);
  await lab.close();
  return `pixels per class colour in the embedding view: ${counts.join(' ')}`;
});

check('web-and-native-end-alike', async () => {
  const bin = process.env.LAB_BIN;
  if (!bin) return 'skipped: LAB_BIN is not set (cargo test sets it)';
  const step = 300;
  const lab = await openLab('#seed=0');
  await lab.until(`step ${step}`, (s) => s.snapshot_step >= step, 180_000);
  const web = (await lab.statuses()).find((s) => s.snapshot_step === step);
  await lab.close();
  assert(web, `no status at step ${step}`);
  const out = mkdtempSync(path.join(tmpdir(), 'lab-native-'));
  execFileSync(bin, ['run', '--method', 'simclr', '--dataset', 'blobs', '--steps', String(step),
    '--set', 'snapshot_every=5', '--quiet', '--out', out], { stdio: 'inherit' });
  const lines = readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const row = lines.map((l) => l.split(',')).find((r) => Number(r[header.indexOf('step')]) === step);
  assert(row, `native metrics.csv has no row at step ${step}`);
  const col = (name) => Number(row[header.indexOf(name)]);
  const native = { knn: col('knn_acc'), spread: col('std') / col('std_ref') };
  const dk = Math.abs(native.knn - web.knn), ds = Math.abs(native.spread - web.std_sqrt_d);
  assert(dk <= 0.05 && ds <= 0.05, `web kNN ${web.knn} std·√d ${web.std_sqrt_d} vs native ${native.knn} ${native.spread}`);
  return `step ${step}: web kNN ${web.knn.toFixed(3)} std·√d ${web.std_sqrt_d.toFixed(3)}, native ${native.knn.toFixed(3)} ${native.spread.toFixed(3)}`;
});

let failed = 0;
for (const { name, f } of checks) {
  if (only && name !== only) continue;
  const start = Date.now();
  try {
    const note = await f();
    console.log(`ok   ${name} (${((Date.now() - start) / 1000).toFixed(1)} s): ${note}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name} (${((Date.now() - start) / 1000).toFixed(1)} s): ${e.message}`);
  }
}
await browser.close();
process.exit(failed ? 1 : 0);
