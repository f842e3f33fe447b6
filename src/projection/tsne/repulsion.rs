//! t-SNE's repulsive forces and the normaliser Z: exact over all pairs (vectorised) for small
//! layouts, Barnes–Hut over a quadtree for large ones.

/// Exact repulsion; returns Z. On x86-64 with AVX2 the same code is compiled for it and picked
/// at run time (about 3× faster than the SSE2 baseline).
pub(super) fn repulsion_exact(xs: &[f32], ys: &[f32], out: &mut [f32]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has just been checked for both features.
        return unsafe { repulsion_exact_avx2(xs, ys, out) };
    }
    repulsion_exact_lanes(xs, ys, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn repulsion_exact_avx2(xs: &[f32], ys: &[f32], out: &mut [f32]) -> f64 {
    repulsion_exact_lanes(xs, ys, out)
}

/// Lanes per point in the exact kernel: independent accumulators, so that it vectorises.
const LANES: usize = 16;

#[inline(always)]
fn repulsion_exact_lanes(xs: &[f32], ys: &[f32], out: &mut [f32]) -> f64 {
    let n = xs.len();
    let mut z = 0f64;
    for i in 0..n {
        let (xi, yi) = (xs[i], ys[i]);
        let (mut zq, mut fx, mut fy) = ([0f32; LANES], [0f32; LANES], [0f32; LANES]);
        let (cx, cy) = (xs.chunks_exact(LANES), ys.chunks_exact(LANES));
        let (rx, ry) = (cx.remainder(), cy.remainder());
        for (bx, by) in cx.zip(cy) {
            for l in 0..LANES {
                let dx = xi - bx[l];
                let dy = yi - by[l];
                let q = 1.0 / (1.0 + dx * dx + dy * dy);
                zq[l] += q;
                let q2 = q * q;
                fx[l] += q2 * dx;
                fy[l] += q2 * dy;
            }
        }
        let (mut zt, mut fxt, mut fyt) = (0f32, 0f32, 0f32);
        for (&bx, &by) in rx.iter().zip(ry) {
            let dx = xi - bx;
            let dy = yi - by;
            let q = 1.0 / (1.0 + dx * dx + dy * dy);
            zt += q;
            fxt += q * q * dx;
            fyt += q * q * dy;
        }
        // The j = i term adds q = 1 to Z (and nothing to the force).
        z += (zq.iter().sum::<f32>() + zt) as f64 - 1.0;
        out[2 * i] = fx.iter().sum::<f32>() + fxt;
        out[2 * i + 1] = fy.iter().sum::<f32>() + fyt;
    }
    z
}

const NONE: u32 = u32::MAX;

/// A quadtree node: its square cell, its points' mass and centre of mass, its children.
#[derive(Clone, Debug)]
struct Node {
    cx: f32,
    cy: f32,
    half: f32,
    mass: f32,
    mx: f32,
    my: f32,
    /// First child's index (four consecutive), or NONE for a leaf.
    children: u32,
    /// A leaf's single point, or NONE when it is empty (or holds coincident points).
    point: u32,
}

/// The Barnes–Hut quadtree over the current positions.
pub(super) struct QuadTree {
    nodes: Vec<Node>,
}

impl QuadTree {
    pub(super) fn build(xs: &[f32], ys: &[f32]) -> Self {
        let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for (&x, &y) in xs.iter().zip(ys) {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        let half = ((x1 - x0).max(y1 - y0) / 2.0).max(1e-6) * (1.0 + 1e-4);
        let mut tree = Self {
            nodes: vec![Node {
                cx: (x0 + x1) / 2.0,
                cy: (y0 + y1) / 2.0,
                half,
                mass: 0.0,
                mx: 0.0,
                my: 0.0,
                children: NONE,
                point: NONE,
            }],
        };
        for (i, (&x, &y)) in xs.iter().zip(ys).enumerate() {
            tree.insert(i as u32, x, y, xs, ys);
        }
        tree
    }

    fn child_of(&self, node: usize, x: f32, y: f32) -> usize {
        let n = &self.nodes[node];
        n.children as usize + usize::from(x >= n.cx) + 2 * usize::from(y >= n.cy)
    }

    fn split(&mut self, node: usize) {
        let (cx, cy, h) = {
            let n = &self.nodes[node];
            (n.cx, n.cy, n.half / 2.0)
        };
        let first = self.nodes.len() as u32;
        for q in 0..4 {
            let sx = if q & 1 == 1 { h } else { -h };
            let sy = if q & 2 == 2 { h } else { -h };
            self.nodes.push(Node {
                cx: cx + sx,
                cy: cy + sy,
                half: h,
                mass: 0.0,
                mx: 0.0,
                my: 0.0,
                children: NONE,
                point: NONE,
            });
        }
        self.nodes[node].children = first;
    }

    fn insert(&mut self, i: u32, x: f32, y: f32, xs: &[f32], ys: &[f32]) {
        let mut node = 0usize;
        for _depth in 0..48 {
            {
                let n = &mut self.nodes[node];
                let m = n.mass;
                n.mx = (n.mx * m + x) / (m + 1.0);
                n.my = (n.my * m + y) / (m + 1.0);
                n.mass = m + 1.0;
                if n.children == NONE {
                    if m == 0.0 {
                        n.point = i;
                        return;
                    }
                    if n.point == NONE || n.half < 1e-7 {
                        // Coincident points (or too deep): the leaf keeps them as mass.
                        n.point = NONE;
                        return;
                    }
                }
            }
            if self.nodes[node].children == NONE {
                // Push the resident point one level down, then continue with i.
                let old = self.nodes[node].point;
                self.nodes[node].point = NONE;
                self.split(node);
                let (ox, oy) = (xs[old as usize], ys[old as usize]);
                let c = self.child_of(node, ox, oy);
                let child = &mut self.nodes[c];
                child.mass = 1.0;
                child.mx = ox;
                child.my = oy;
                child.point = old;
            }
            node = self.child_of(node, x, y);
        }
    }

    /// Σ over cells far enough (size/dist < θ) of mass·q² (y_i − centre), per point; returns Z.
    pub(super) fn repulsion(&self, xs: &[f32], ys: &[f32], theta: f32, out: &mut [f32]) -> f64 {
        let mut z = 0f64;
        let mut stack: Vec<u32> = Vec::with_capacity(64);
        for i in 0..xs.len() {
            let (xi, yi) = (xs[i], ys[i]);
            let (mut zi, mut fx, mut fy) = (0f32, 0f32, 0f32);
            stack.clear();
            stack.push(0);
            while let Some(k) = stack.pop() {
                let n = &self.nodes[k as usize];
                if n.mass == 0.0 || n.point == i as u32 {
                    continue;
                }
                let (dx, dy) = (xi - n.mx, yi - n.my);
                let d2 = dx * dx + dy * dy;
                let size = 2.0 * n.half;
                if n.children == NONE || size * size < theta * theta * d2 {
                    // A leaf of coincident points that includes i: exclude i's own term.
                    let mass = if n.children == NONE && n.point == NONE && d2 == 0.0 {
                        n.mass - 1.0
                    } else {
                        n.mass
                    };
                    let q = 1.0 / (1.0 + d2);
                    zi += mass * q;
                    fx += mass * q * q * dx;
                    fy += mass * q * q * dy;
                } else {
                    stack.extend(n.children..n.children + 4);
                }
            }
            z += zi as f64;
            out[2 * i] = fx;
            out[2 * i + 1] = fy;
        }
        z
    }
}
