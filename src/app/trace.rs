//! A time plot's line at a cost that does not grow with the run. A line with more rows than
//! the plot has columns is drawn as the line of each column's mean over a band from the
//! column's lowest to its highest value (every spike stays in the band), from the first row to
//! the newest. The columns lie on a grid fixed in steps (a power of two of them each, doubled
//! when the run outgrows the plot), so a new row changes the newest column only: a
//! [`Tracer`] follows a growing history at the cost of its new rows, where decimating every
//! row again for each new one cost the window more the longer the run (the UI thread 0.13 →
//! 0.22 cores between 1 400 and 16 000 rows, measured).

use crate::train::MetricsRow;
use egui_plot::PlotPoint;

/// One column of a decimated line: its points' mean step, and their mean, lowest and highest
/// value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Column {
    pub step: f64,
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

/// A line of a time plot as drawn. A short history is drawn as it is (`band` empty); a long
/// one as the line through its columns' means, from the first row to the newest, over the band
/// from each column's lowest to its highest value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    pub line: Vec<PlotPoint>,
    /// Steps, lowest and highest values of the band (all empty for a line drawn as it is).
    pub band: Band,
}

/// The band of a decimated line: three columns of equal length.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Band {
    pub steps: Vec<f64>,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
}

impl Band {
    fn push(&mut self, step: f64, lo: f64, hi: f64) {
        self.steps.push(step);
        self.lo.push(lo);
        self.hi.push(hi);
    }
}

/// The points of one column: where on the grid, how many, their sums, lowest and highest.
#[derive(Clone, Copy, Debug)]
struct Sum {
    index: u64,
    n: f64,
    steps: f64,
    values: f64,
    lo: f64,
    hi: f64,
}

impl Sum {
    fn of(index: u64, step: f64, value: f64) -> Self {
        Self {
            index,
            n: 1.0,
            steps: step,
            values: value,
            lo: value,
            hi: value,
        }
    }

    fn merge(&mut self, other: &Sum) {
        self.n += other.n;
        self.steps += other.steps;
        self.values += other.values;
        self.lo = self.lo.min(other.lo);
        self.hi = self.hi.max(other.hi);
    }

    fn column(&self) -> Column {
        Column {
            step: self.steps / self.n,
            mean: self.values / self.n,
            lo: self.lo,
            hi: self.hi,
        }
    }
}

/// Points added in step order, summed up in columns of `width` steps: column k holds the
/// steps `[k·width, (k+1)·width)`. The width starts at one step and doubles (two neighbouring
/// columns merged into one) whenever the points would span more than `max` columns, so they
/// span between `max / 2` and `max` once they outgrow it, and a column only changes when a
/// point lands in it or the grid doubles.
#[derive(Clone, Debug)]
pub struct Columns {
    max: usize,
    width: u64,
    /// The columns with a point, in step order.
    sums: Vec<Sum>,
}

impl Columns {
    pub fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            width: 1,
            sums: Vec::new(),
        }
    }

    /// Add the point `(step, value)`; `step` is not before the last point's.
    pub fn add(&mut self, step: usize, value: f64) {
        let step = step as u64;
        let index = loop {
            let index = step / self.width;
            let first = self.sums.first().map_or(index, |s| s.index);
            if index.saturating_sub(first) < self.max as u64 {
                break index;
            }
            self.double();
        };
        let point = Sum::of(index, step as f64, value);
        match self.sums.last_mut() {
            Some(last) if index <= last.index => last.merge(&point),
            _ => self.sums.push(point),
        }
    }

    fn double(&mut self) {
        self.width *= 2;
        let mut merged: Vec<Sum> = Vec::with_capacity(self.sums.len() / 2 + 1);
        for s in &self.sums {
            let index = s.index / 2;
            match merged.last_mut() {
                Some(m) if m.index == index => m.merge(s),
                _ => merged.push(Sum { index, ..*s }),
            }
        }
        self.sums = merged;
    }

    /// The columns with a point, in step order.
    pub fn iter(&self) -> impl Iterator<Item = Column> + '_ {
        self.sums.iter().map(Sum::column)
    }

    /// Steps a column spans.
    pub fn width(&self) -> u64 {
        self.width
    }
}

/// One line of a plot kept up to date with a growing run: it has taken up every row but the
/// newest (which a history may still replace, see [`crate::train::History::lineage`]) into
/// its columns, and takes up only the rows new since the last call.
#[derive(Clone, Debug)]
pub struct Tracer {
    columns: Columns,
    /// Rows taken up, and the step of the last of them.
    taken: usize,
    taken_step: Option<usize>,
    /// The first and the last finite point taken up.
    first: Option<[f64; 2]>,
    last: Option<[f64; 2]>,
}

impl Tracer {
    /// A line drawn in at most `columns` columns (plus its two ends).
    pub fn new(columns: usize) -> Self {
        Self {
            columns: Columns::new(columns),
            taken: 0,
            taken_step: None,
            first: None,
            last: None,
        }
    }

    /// The line of `rows`' values `f`, skipping non-finite ones. `rows` are the rows of the
    /// last call with at most the newest replaced and new ones after it (a history whose
    /// lineage stayed); rows that are not (fewer, or another row where the last one taken was)
    /// are taken up afresh.
    pub fn trace(&mut self, rows: &[&MetricsRow], f: impl Fn(&MetricsRow) -> f64) -> Trace {
        let Some((newest, settled)) = rows.split_last() else {
            return Trace::default();
        };
        let continues = self.taken <= settled.len()
            && (self.taken == 0 || Some(settled[self.taken - 1].step) == self.taken_step);
        if !continues {
            *self = Self::new(self.columns.max);
        }
        for r in &settled[self.taken..] {
            self.take(r.step, f(r));
        }
        self.taken = settled.len();
        self.taken_step = settled.last().map(|r| r.step);
        if rows.len() <= self.columns.max {
            return Trace {
                line: rows
                    .iter()
                    .map(|r| [r.step as f64, f(r)])
                    .filter(|p| p[1].is_finite())
                    .map(PlotPoint::from)
                    .collect(),
                band: Band::default(),
            };
        }
        let mut columns = self.columns.clone();
        let value = f(newest);
        let last = if value.is_finite() {
            columns.add(newest.step, value);
            Some([newest.step as f64, value])
        } else {
            self.last
        };
        draw(self.first.or(last), &columns, last)
    }

    fn take(&mut self, step: usize, value: f64) {
        if !value.is_finite() {
            return;
        }
        let point = [step as f64, value];
        self.first.get_or_insert(point);
        self.last = Some(point);
        self.columns.add(step, value);
    }
}

/// The line from `first` through the columns' means to `newest`, over their band; the band
/// starts at the first value and ends at the newest.
fn draw(first: Option<[f64; 2]>, columns: &Columns, newest: Option<[f64; 2]>) -> Trace {
    let mut out = Trace::default();
    let end = |out: &mut Trace, p: [f64; 2]| {
        out.line.push(PlotPoint::from(p));
        out.band.push(p[0], p[1], p[1]);
    };
    if let Some(p) = first {
        end(&mut out, p);
    }
    for c in columns.iter() {
        if out.line.last().is_some_and(|q| q.x >= c.step) {
            continue;
        }
        out.line.push(PlotPoint::new(c.step, c.mean));
        out.band.push(c.step, c.lo, c.hi);
    }
    if let Some(p) = newest.filter(|p| out.line.last().is_some_and(|q| q.x < p[0])) {
        end(&mut out, p);
    }
    out
}

/// The line of `rows` drawn in at most `columns` columns, from scratch.
pub fn trace(rows: &[&MetricsRow], f: impl Fn(&MetricsRow) -> f64, columns: usize) -> Trace {
    Tracer::new(columns).trace(rows, f)
}

/// At most `max` of `items`, evenly strided, with the first and the newest: a path of an
/// hour's rows costs what one of a minute's does, and picking them reads only those.
pub fn thin<T: Copy>(items: &[T], max: usize) -> Vec<T> {
    let max = max.max(2);
    if items.len() <= max {
        return items.to_vec();
    }
    let stride = (items.len() - 1).div_ceil(max - 1);
    let newest = items.len() - 1;
    let mut kept: Vec<T> = items.iter().copied().step_by(stride).collect();
    if !newest.is_multiple_of(stride) {
        kept.push(items[newest]);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize, value: impl Fn(usize) -> f64) -> Vec<MetricsRow> {
        (0..n)
            .map(|i| MetricsRow {
                step: 10 * i,
                loss: value(i),
                diagnostics: Default::default(),
                extras: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn columns_stay_within_their_budget_and_keep_spikes_in_the_band() {
        // 20 000 points of a slow ramp with one spike up and one down.
        let mut c = Columns::new(100);
        for i in 0..20_000usize {
            let v = match i {
                7_777 => 50.0,
                12_345 => -50.0,
                _ => i as f64 * 1e-4,
            };
            c.add(i, v);
            let n = c.iter().count();
            assert!(n <= 100, "{n} columns at {i}");
            if i >= 100 {
                assert!(n > 50, "{n} columns at {i}");
            }
        }
        let d: Vec<Column> = c.iter().collect();
        // 20 000 steps in columns of 256: 79 columns.
        assert_eq!((c.width(), d.len()), (256, 79));
        assert!(d.iter().any(|c| c.hi == 50.0) && d.iter().any(|c| c.lo == -50.0));
        // The spike's column, steps 7 680–7 935: its mean moves by 50/256, its band spans it.
        let spiked = d.iter().find(|c| c.hi == 50.0).map(|c| c.step);
        assert_eq!(spiked, Some(7_807.5));
        assert!(d.windows(2).all(|w| w[0].step < w[1].step), "out of order");
        assert!(d.iter().all(|c| c.lo <= c.mean && c.mean <= c.hi));
        // The first column: points 0–255 of the ramp (mean 0.01275).
        assert_eq!(d[0].step, 127.5);
        assert!((d[0].mean - 127.5e-4).abs() < 1e-12, "{}", d[0].mean);
        // Points a column's width apart: every point is its column's only one.
        let mut sparse = Columns::new(100);
        let points: Vec<usize> = (0..20_000).step_by(256).collect();
        points.iter().for_each(|&s| sparse.add(s, s as f64));
        let one_each: Vec<Column> = points
            .iter()
            .map(|&s| Column {
                step: s as f64,
                mean: s as f64,
                lo: s as f64,
                hi: s as f64,
            })
            .collect();
        assert_eq!(sparse.iter().collect::<Vec<_>>(), one_each);
    }

    /// A time plot draws a short history as it is and a long one as a bounded line of column
    /// means over its band, from the first row to the newest, skipping non-finite values
    /// either way.
    #[test]
    fn traces_are_bounded_finite_and_span_the_run() {
        let rows = rows(20_000, |i| {
            if i % 97 == 0 {
                f64::NAN
            } else {
                (i as f64).sin()
            }
        });
        let refs: Vec<&MetricsRow> = rows.iter().collect();
        let drawn = |n: usize| trace(&refs[..n], |r| r.loss, 256);
        let short = drawn(200);
        assert_eq!(short.line.len(), 200 - 200usize.div_ceil(97));
        assert!(short.band.steps.is_empty());
        let long = drawn(20_000);
        assert!(long.line.len() <= 256 + 2, "{}", long.line.len());
        assert!(long.line.len() > 128, "{}", long.line.len());
        assert_eq!(long.band.steps.len(), long.line.len());
        assert_eq!(long.band.lo.len(), long.line.len());
        assert_eq!(long.band.hi.len(), long.line.len());
        assert!(long.line.iter().all(|p| p.y.is_finite()));
        assert!(long.line.windows(2).all(|w| w[0].x < w[1].x));
        // It starts at the first finite row (row 0 is NaN) and ends at the newest.
        assert_eq!(
            long.line.first().map(|p| [p.x, p.y]),
            Some([10.0, 1f64.sin()])
        );
        let newest = [199_990.0, 19_999f64.sin()];
        assert_eq!(long.line.last().map(|p| [p.x, p.y]), Some(newest));
        // A sine swings over [−1, 1] in every column: the band shows it, the means do not.
        let inner = 1..long.line.len() - 1;
        assert!(
            inner
                .clone()
                .all(|k| long.band.hi[k] > 0.8 && long.band.lo[k] < -0.8)
        );
        assert!(inner.clone().all(|k| long.line[k].y.abs() < 0.2));
        // Nothing at all, and nothing finite.
        assert_eq!(trace(&[], |r| r.loss, 256), Trace::default());
        let nan = trace(&refs[..3000], |_| f64::NAN, 256);
        assert!(nan.line.is_empty() && nan.band.steps.is_empty());
        // A newest row without a value: the line ends at the newest that has one.
        let ends = trace(&refs[..=9_700], |r| r.loss, 256);
        assert_eq!(ends.line.last().map(|p| p.x), Some(96_990.0));
    }

    /// Following a history row by row (its newest row replaced now and then, as an off-grid
    /// row is) draws what decimating all its rows afresh draws, after every row.
    #[test]
    fn a_tracer_following_a_run_draws_what_a_fresh_one_does() {
        let all = rows(3_000, |i| {
            if i % 41 == 0 {
                f64::INFINITY
            } else {
                (i as f64 * 0.1).cos() + i as f64 * 1e-3
            }
        });
        let mut shown: Vec<&MetricsRow> = Vec::new();
        let mut tracer = Tracer::new(64);
        for (i, r) in all.iter().enumerate() {
            // Every third row is off the grid: the next one replaces it.
            if i % 3 == 1 && !shown.is_empty() && i > 1 {
                shown.pop();
            }
            shown.push(r);
            let followed = tracer.trace(&shown, |r| r.loss);
            assert_eq!(followed, trace(&shown, |r| r.loss, 64), "row {i}");
        }
        // Other rows than it took up (a thinned history): taken up afresh.
        let thinned: Vec<&MetricsRow> = all.iter().step_by(7).collect();
        assert_eq!(
            tracer.trace(&thinned, |r| r.loss),
            trace(&thinned, |r| r.loss, 64)
        );
        let fewer = &thinned[..10];
        assert_eq!(
            tracer.trace(fewer, |r| r.loss),
            trace(fewer, |r| r.loss, 64)
        );
    }

    /// A path keeps its ends and order within its budget of points.
    #[test]
    fn a_long_path_is_thinned_to_its_budget_with_both_ends() {
        for len in [0, 1, 5, 1024, 1025, 9_000, 16_384] {
            let path: Vec<[f64; 2]> = (0..len).map(|i| [i as f64, -(i as f64)]).collect();
            let thinned = thin(&path, 1024);
            assert!(thinned.len() <= 1024, "{len}: {}", thinned.len());
            assert_eq!(thinned.first(), path.first(), "{len}");
            assert_eq!(thinned.last(), path.last(), "{len}");
            assert!(thinned.windows(2).all(|w| w[0][0] < w[1][0]), "{len}");
            if len <= 1024 {
                assert_eq!(thinned, path);
            }
        }
    }
}
