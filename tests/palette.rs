//! The class colours as eyes that cannot tell red from green see them: each palette is run
//! through Machado et al.'s (2009) simulation of deuteranopia, protanopia and tritanopia
//! (severity 1), and every pair of classes is compared by CIEDE2000. The colour-blind palette
//! keeps every pair at ΔE ≥ 10 for every simulated eye; where a pair comes closer than 15, its
//! marker shapes differ. The default palette (Tableau 10) is the reason it exists.

use contrastive_lab::render::palette::{COLOUR_BLIND, PALETTE, SHAPES};
use egui::Color32;

type Lab = [f64; 3];

fn linear(c: u8) -> f64 {
    let c = c as f64 / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn encoded(c: f64) -> f64 {
    let c = c.clamp(0.0, 1.0);
    if c <= 0.003_130_8 {
        12.92 * c
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    }
}

/// Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
const DEUTERANOPIA: [[f64; 3]; 3] = [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.011820, 0.042940, 0.968881],
];
const PROTANOPIA: [[f64; 3]; 3] = [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
];
const TRITANOPIA: [[f64; 3]; 3] = [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.303900],
];

/// sRGB (0–1, gamma-encoded) as seen through `m` (None: normal vision).
fn seen(c: Color32, m: Option<&[[f64; 3]; 3]>) -> [f64; 3] {
    let l = [linear(c.r()), linear(c.g()), linear(c.b())];
    match m {
        None => l.map(encoded),
        Some(m) => [0, 1, 2].map(|i| encoded((0..3).map(|j| m[i][j] * l[j]).sum())),
    }
}

/// CIE L*a*b* (D65) of gamma-encoded sRGB in 0–1.
fn lab(rgb: [f64; 3]) -> Lab {
    let l = rgb.map(|c| {
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    });
    let x = (0.4124 * l[0] + 0.3576 * l[1] + 0.1805 * l[2]) / 0.95047;
    let y = 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
    let z = (0.0193 * l[0] + 0.1192 * l[1] + 0.9505 * l[2]) / 1.08883;
    let f = |t: f64| {
        if t > 0.008856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    [
        116.0 * f(y) - 16.0,
        500.0 * (f(x) - f(y)),
        200.0 * (f(y) - f(z)),
    ]
}

/// CIEDE2000 (Sharma, Wu & Dalal 2005).
fn ciede2000(p: Lab, q: Lab) -> f64 {
    let [l1, a1, b1] = p;
    let [l2, a2, b2] = q;
    let c_mean = (a1.hypot(b1) + a2.hypot(b2)) / 2.0;
    let g = 0.5 * (1.0 - (c_mean.powi(7) / (c_mean.powi(7) + 25f64.powi(7))).sqrt());
    let (a1p, a2p) = ((1.0 + g) * a1, (1.0 + g) * a2);
    let (c1p, c2p) = (a1p.hypot(b1), a2p.hypot(b2));
    let hue = |a: f64, b: f64| {
        if a == 0.0 && b == 0.0 {
            0.0
        } else {
            b.atan2(a).to_degrees().rem_euclid(360.0)
        }
    };
    let (h1p, h2p) = (hue(a1p, b1), hue(a2p, b2));
    let dl = l2 - l1;
    let dc = c2p - c1p;
    let dh = if c1p * c2p == 0.0 {
        0.0
    } else if (h2p - h1p).abs() <= 180.0 {
        h2p - h1p
    } else if h2p - h1p > 180.0 {
        h2p - h1p - 360.0
    } else {
        h2p - h1p + 360.0
    };
    let dhh = 2.0 * (c1p * c2p).sqrt() * (dh / 2.0).to_radians().sin();
    let l_mean = (l1 + l2) / 2.0;
    let cp_mean = (c1p + c2p) / 2.0;
    let h_mean = if c1p * c2p == 0.0 {
        h1p + h2p
    } else if (h1p - h2p).abs() <= 180.0 {
        (h1p + h2p) / 2.0
    } else if h1p + h2p < 360.0 {
        (h1p + h2p + 360.0) / 2.0
    } else {
        (h1p + h2p - 360.0) / 2.0
    };
    let t = 1.0 - 0.17 * (h_mean - 30.0).to_radians().cos()
        + 0.24 * (2.0 * h_mean).to_radians().cos()
        + 0.32 * (3.0 * h_mean + 6.0).to_radians().cos()
        - 0.20 * (4.0 * h_mean - 63.0).to_radians().cos();
    let d_theta = 30.0 * (-((h_mean - 275.0) / 25.0).powi(2)).exp();
    let rc = 2.0 * (cp_mean.powi(7) / (cp_mean.powi(7) + 25f64.powi(7))).sqrt();
    let sl = 1.0 + 0.015 * (l_mean - 50.0).powi(2) / (20.0 + (l_mean - 50.0).powi(2)).sqrt();
    let sc = 1.0 + 0.045 * cp_mean;
    let sh = 1.0 + 0.015 * cp_mean * t;
    let rt = -(2.0 * d_theta).to_radians().sin() * rc;
    ((dl / sl).powi(2) + (dc / sc).powi(2) + (dhh / sh).powi(2) + rt * (dc / sc) * (dhh / sh))
        .sqrt()
}

/// Every pair of `palette` as `m` sees it: (ΔE, i, j), closest first.
fn pairs(palette: &[Color32], m: Option<&[[f64; 3]; 3]>) -> Vec<(f64, usize, usize)> {
    let labs: Vec<Lab> = palette.iter().map(|&c| lab(seen(c, m))).collect();
    let mut out = Vec::new();
    for i in 0..labs.len() {
        for j in i + 1..labs.len() {
            out.push((ciede2000(labs[i], labs[j]), i, j));
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

const EYES: [(&str, Option<&[[f64; 3]; 3]>); 4] = [
    ("normal vision", None),
    ("deuteranopia", Some(&DEUTERANOPIA)),
    ("protanopia", Some(&PROTANOPIA)),
    ("tritanopia", Some(&TRITANOPIA)),
];

#[test]
fn ciede2000_matches_sharma_wu_and_dalals_test_data() {
    for (p, q, want) in [
        ([50.0, 2.6772, -79.7751], [50.0, 0.0, -82.7485], 2.0425),
        ([50.0, 0.0, 0.0], [50.0, -1.0, 2.0], 2.3669),
        ([50.0, 2.5, 0.0], [73.0, 25.0, -18.0], 27.1492),
        (
            [60.2574, -34.0099, 36.2677],
            [60.4626, -34.1751, 39.4387],
            1.2644,
        ),
        (
            [22.7233, 20.0904, -46.6940],
            [23.0331, 14.9730, -42.5619],
            2.0373,
        ),
    ] {
        let got = ciede2000(p, q);
        assert!(
            (got - want).abs() < 1e-4,
            "{p:?} {q:?}: {got} against {want}"
        );
    }
    // The simulation leaves a grey grey and the identity of a colour is ΔE 0.
    let grey = Color32::from_rgb(128, 128, 128);
    for (_, m) in EYES {
        let g = seen(grey, m);
        assert!(
            (g[0] - g[1]).abs() < 0.01 && (g[1] - g[2]).abs() < 0.01,
            "{g:?}"
        );
    }
}

#[test]
fn the_colour_blind_palette_keeps_every_pair_apart_and_shapes_make_up_for_the_closest() {
    for (eye, m) in EYES {
        let all = pairs(&COLOUR_BLIND, m);
        let (closest, i, j) = all[0];
        println!("colour-blind palette, {eye}: closest pair {i}-{j} at ΔE {closest:.1}");
        assert!(
            closest >= 10.0,
            "{eye}: classes {i} and {j} at ΔE {closest:.1}"
        );
        for &(d, i, j) in all.iter().take_while(|p| p.0 < 15.0) {
            assert_ne!(
                SHAPES[i].0, SHAPES[j].0,
                "{eye}: {i}, {j} at ΔE {d:.1}, same shape"
            );
        }
    }
    // Every class its own shape and glyph.
    for (i, a) in SHAPES.iter().enumerate() {
        for b in &SHAPES[i + 1..] {
            assert_ne!(a.0, b.0);
            assert_ne!(a.1, b.1);
        }
    }
}

#[test]
fn the_default_palette_is_what_colour_blind_eyes_confuse() {
    for (eye, m) in EYES {
        let all = pairs(&PALETTE, m);
        let confused = all.iter().filter(|p| p.0 < 10.0).count();
        println!(
            "Tableau 10, {eye}: closest ΔE {:.1}, {confused} pairs below 10",
            all[0].0
        );
    }
    let deut = pairs(&PALETTE, Some(&DEUTERANOPIA));
    assert!(
        deut[0].0 < 5.0,
        "Tableau 10 under deuteranopia: {:?}",
        deut[0]
    );
}
