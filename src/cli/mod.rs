//! The command line. `run` trains headless to files, `bench` measures steps/s (and compares
//! with PyTorch when it is installed), `settings` lists every `--set` key.

pub mod bench;
pub mod bench_points;
pub mod bench_sweep;
pub mod bench_tsne;
pub mod compare;
pub mod reference;
pub mod run;
pub mod sweep;
pub mod sweep_table;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// `--help`'s examples: one for every subcommand (a test checks each has one).
pub const EXAMPLES: &str = "Examples:
  contrastive-lab                                       open the app (app: the same, with its flags)
  contrastive-lab app --lesson simsiam-stop-gradient    the app, a lesson started
  contrastive-lab run --method simclr --steps 500 --out runs/a
  contrastive-lab run --sweep temperature=0.05..2:6:log --seeds 3 --out runs/tau
  contrastive-lab sweep merge runs/tau                  join a sweep's shards (run … --shard I/N)
  contrastive-lab run --lesson temperature --record t.clr --html t.html
  contrastive-lab export-html t.clr --out t.html        a recording as one offline web page
  contrastive-lab replay t.clr --out runs/replayed      a recording's files, without training
  contrastive-lab bench --methods simclr,byol           steps/s (and PyTorch's, when installed)
  contrastive-lab settings                              every --set key
  contrastive-lab lessons                               every lesson id
  contrastive-lab completions bash                      a shell's completion script";

#[derive(Parser, Debug)]
#[command(
    name = "contrastive-lab",
    version,
    about = "See contrastive and self-supervised learning happen",
    long_about = "Trains a small encoder with a self-supervised method and measures collapse.\n\
                  Without a subcommand it opens the app (and takes the app's flags).",
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<CliCommand>,
    /// The app's flags, without the `app` subcommand: `contrastive-lab --fresh`.
    #[command(flatten)]
    pub app: AppArgs,
}

#[derive(Subcommand, Debug)]
pub enum CliCommand {
    /// Open the app (the default without a subcommand).
    App(AppArgs),
    /// Train headless and write metrics.csv, events.csv, config.toml, embeddings.tsv, metadata.tsv.
    Run(RunArgs),
    /// Training steps/s of every method on the chosen device (and PyTorch's, when installed).
    Bench(BenchArgs),
    /// List every setting `--set` accepts, with how it applies, its range and what it does.
    Settings {
        /// As docs/cli.md's Markdown table.
        #[arg(long)]
        markdown: bool,
    },
    /// List the lessons (`<id>  <title>`); run one with `run --lesson <id>`.
    Lessons,
    /// Write a recording (`run --record`, File → Save run…) as one self-contained web page that
    /// replays it in any browser, offline, with nothing installed.
    ExportHtml(ExportHtmlArgs),
    /// Work with a sweep's results: `sweep merge DIR…` joins the shards of one.
    Sweep(SweepArgs),
    /// Print a shell's completion script: `contrastive-lab completions bash > ~/.local/share/bash-completion/completions/contrastive-lab`.
    Completions {
        /// bash | zsh | fish | elvish | powershell
        shell: clap_complete::Shell,
    },
    /// Write from a recording the files `run` writes (metrics.csv, events.csv, config.toml,
    /// embeddings.tsv, metadata.tsv), without training.
    Replay(ReplayArgs),
}

#[derive(Args, Debug, Clone, Default)]
pub struct RunArgs {
    #[arg(long, help = crate::config::Key::Method.spec().help)]
    pub method: Option<String>,
    #[arg(long, help = crate::config::Key::Dataset.spec().help)]
    pub dataset: Option<String>,
    /// Training steps.
    #[arg(long)]
    pub steps: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "runs/latest")]
    pub out: PathBuf,
    /// Seed of data, augmentation and initialisation.
    #[arg(long)]
    pub seed: Option<u64>,
    /// A config or scenario file (TOML `key = value`, e.g. a run's config.toml, or a scenario
    /// with a script of timed changes).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Run a lesson headless, its scripted change included: a built-in id (see `contrastive-lab lessons`) or a lesson file (docs/lessons.md); prints whether it showed.
    #[arg(long, conflicts_with = "config")]
    pub lesson: Option<String>,
    /// Override a setting: `--set temperature=0.1` (repeatable; see `contrastive-lab settings`).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// auto | cpu | wgpu
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Also write the final 2-D layout of the probe: `pca` → DIR/pca.tsv, `tsne` → DIR/tsne.tsv,
    /// `sphere` → DIR/sphere.tsv (the normalised embedding on the fixed scale of the unit
    /// circle; columns x, y, label, class). Repeatable or comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "pca|tsne|sphere")]
    pub projection: Vec<String>,
    /// t-SNE perplexity for `--projection tsne` (2–100).
    #[arg(long, default_value_t = 30.0)]
    pub perplexity: f32,
    /// No progress bar or summary.
    #[arg(long)]
    pub quiet: bool,
    /// Train run B beside this one with KEY=VALUE changed (repeatable); writes OUT/a, OUT/b and
    /// OUT/compare.csv.
    #[arg(long = "compare", value_name = "KEY=VALUE")]
    pub compare: Vec<String>,
    /// Run B forks from run A's exact state at this step (else both start from scratch).
    #[arg(long, value_name = "STEP")]
    pub fork_at: Option<usize>,
    /// Also write the run's sphere view over its snapshots as an animated GIF (with the spread
    /// curve beside it), for slides.
    #[arg(long, value_name = "FILE.gif")]
    pub animate: Option<PathBuf>,
    /// Also write the whole run (every snapshot) as a recording the app opens with File → Open
    /// run… and `replay` reads.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Also write the run as one self-contained web page (the sphere view, PCA and the time
    /// plots over every snapshot, a scrub bar; a lesson's card): it opens in any browser,
    /// offline.
    #[arg(long, value_name = "FILE.html")]
    pub html: Option<PathBuf>,
    /// Sweep one setting: `KEY=V1,V2,…` or `KEY=LO..HI:COUNT[:log]`. One run per value (and
    /// seed), written to OUT/<key>=<value>/seed<k>/, with OUT/sweep.csv (a row per run: key,
    /// value, seed, then its last metrics.csv row). `--set` and `--config` apply to every run.
    #[arg(long, value_name = "KEY=VALUES", conflicts_with_all = ["compare", "lesson"])]
    pub sweep: Option<String>,
    /// Seeds per value of `--sweep` (1–16): `--seed`, `--seed`+1, …
    #[arg(long, default_value_t = 1, requires = "sweep")]
    pub seeds: u64,
    /// Run only shard I of N of the sweep (`--sweep`, or `--config sweep.toml`): the runs
    /// numbered i ≡ I (mod N), rows to OUT/sweep-shard-I-of-N.csv; `sweep merge` joins them.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct ExportHtmlArgs {
    /// A recording (`run --record`, File → Save run…).
    pub file: PathBuf,
    /// The page to write.
    #[arg(long, default_value = "run.html")]
    pub out: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct SweepArgs {
    #[command(subcommand)]
    pub command: SweepCommand,
}

#[derive(Subcommand, Debug, Clone)]
pub enum SweepCommand {
    /// Merge the folders of a sweep's shards (`run … --shard I/N`) into one sweep.csv, the
    /// one the unsharded sweep writes. Refuses shards of different sweeps, naming the folder.
    Merge {
        /// The shards' folders (each holds sweep.toml and sweep-shard-I-of-N.csv).
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Where to write sweep.csv (default: the first folder).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Args, Debug, Clone)]
pub struct ReplayArgs {
    /// A recording (`run --record`, File → Save run…).
    pub file: PathBuf,
    /// Where to write the files `run` writes.
    #[arg(long, default_value = "runs/replayed")]
    pub out: PathBuf,
}

#[derive(Args, Debug, Clone, Default)]
pub struct AppArgs {
    /// auto | cpu | wgpu
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Start from the defaults instead of the saved state.
    #[arg(long)]
    pub fresh: bool,
    /// Start with this config file.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// auto | wgpu | glow: who draws the window (auto: wgpu on a real GPU, else glow). The
    /// WGSL point renderer needs wgpu.
    #[arg(long, default_value = "auto")]
    pub renderer: String,
    /// Open with this lesson started: a built-in id (see `contrastive-lab lessons`) or a lesson file.
    #[arg(long, conflicts_with = "config")]
    pub lesson: Option<String>,
    /// Open comparing this run with run B, KEY=VALUE changed (repeatable; both from scratch).
    #[arg(long = "compare", value_name = "KEY=VALUE")]
    pub compare: Vec<String>,
    /// Open sweeping one setting: `KEY=V1,V2,…` or `KEY=LO..HI:COUNT[:log]` (2–8 values), a
    /// run per value side by side (Compare → Sweep… in the app).
    #[arg(long, value_name = "KEY=VALUES", conflicts_with_all = ["compare", "lesson"])]
    pub sweep: Option<String>,
    /// Seeds per value of `--sweep` (1–3).
    #[arg(long, default_value_t = 1, requires = "sweep")]
    pub seeds: u64,
    /// Train the `--sweep`'s runs one after another, STEPS each at full speed, instead of all
    /// in lockstep.
    #[arg(long, value_name = "STEPS", requires = "sweep")]
    pub queue: Option<usize>,
    /// Append `seconds,step,steps_per_s,frames_per_s,rss_mb,history_rows,…,recorded_mb` to
    /// this CSV every 10 s (to measure a long run's smoothness and memory).
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,
    /// Open in presenter mode (View → Present): everything 1.6× larger for a projector.
    #[arg(long)]
    pub present: bool,
    /// Play the built-in lessons in turn by themselves, SECONDS each (at least 10), every third
    /// as a comparison with its control: a screen that teaches by itself.
    #[arg(long, value_name = "SECONDS", conflicts_with_all = ["lesson", "compare", "sweep"])]
    pub tour: Option<u64>,
}

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// `tsne`: time the t-SNE projector; `points`: the WGSL point renderer's frame cost
    /// (both with `--n`); `sweep`: N runs in lockstep against one (`--n`, default 6; prints
    /// `ratio sweepN/single=`). Without a case, training is timed.
    #[arg(value_name = "CASE")]
    pub case: Option<String>,
    /// Points for `bench tsne` (default 1000) or `bench points` (default 100000); runs for
    /// `bench sweep` (default 6).
    #[arg(long)]
    pub n: Option<usize>,
    /// Frames timed by `bench points`.
    #[arg(long, default_value_t = 30)]
    pub frames: usize,
    /// Timed iterations for `bench tsne` (after the early-exaggeration phase).
    #[arg(long, default_value_t = 200)]
    pub iters: usize,
    /// auto | cpu | wgpu
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Timed steps per case (after a warm-up).
    #[arg(long, default_value_t = 100)]
    pub steps: usize,
    /// Comma-separated methods (default: all nine).
    #[arg(long)]
    pub methods: Option<String>,
    /// Batch size.
    #[arg(long, default_value_t = 256)]
    pub batch: usize,
    /// Skip the PyTorch (or openTSNE) comparison even when it is installed.
    #[arg(long)]
    pub no_torch: bool,
}
