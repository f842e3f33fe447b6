//! The two views of a batch on the two cores. In BYOL and SimSiam (with stop-gradient) each
//! half of the symmetrised loss, `D(p₁, sg(t₂))` and `D(p₂, sg(t₁))`, depends on one view's
//! graph only: the other view enters detached. So each view's forward *and* backward pass can
//! run on its own thread, and the gradients add up to those of the whole loss.
//!
//! Burn's autodiff keeps graphs that share a node under one lock (a backward pass holds it),
//! and the online network's parameters are such shared nodes. The second view therefore runs
//! on a *twin*: the same parameters as new autodiff leaves (same values, same `ParamId`s), so
//! the two graphs share nothing.

use super::fast::on_cpu;
use super::{Forward, Learner, StateUpdate};
use crate::cpu::gemm::on_one_core;
use crate::cpu::helper::{self, Blocks, Slot};
use crate::model::Network;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

/// Run `side` and `main` on the two cores, one each (this thread and the products' helper
/// thread, [`crate::cpu::helper`], which is kept awake between the parts of a step: a thread
/// spawned for each call cost ≈ 35 µs and a cold stack, twice a step); both results. Where the
/// helper is busy (another run's trainer holds it) this thread runs both, one after the other.
/// A panic in either is raised here.
pub fn alongside<A: Send, B: Send>(
    side: impl FnOnce() -> A + Send,
    main: impl FnOnce() -> B + Send,
) -> (A, B) {
    let pair = Pair {
        main: Slot::new(Some(main)),
        side: Slot::new(Some(side)),
        results: (Slot::new(None), Slot::new(None)),
    };
    helper::share(&pair);
    let (side, main) = pair.results;
    match (side.into_inner(), main.into_inner()) {
        (Some(side), Some(main)) => (side, main),
        // `share` returns only once both blocks ran, and re-raises a panic of either.
        _ => unreachable!("a block of `alongside` did not run"),
    }
}

/// `alongside`'s two parts as two blocks of work: the first block (which this thread starts
/// on at once) is `main`, the second `side`. Both cores are taken: neither part's products
/// are split (see `cpu::gemm`).
struct Pair<M, S, A, B> {
    main: Slot<M>,
    side: Slot<S>,
    results: (Slot<A>, Slot<B>),
}

impl<M, S, A, B> Blocks for Pair<M, S, A, B>
where
    M: FnOnce() -> B + Send,
    S: FnOnce() -> A + Send,
    A: Send,
    B: Send,
{
    fn count(&self) -> usize {
        2
    }

    fn block(&self, i: usize) {
        if i == 0 {
            if let Some(main) = self.main.take() {
                self.results.1.put(on_one_core(main));
            }
        } else if let Some(side) = self.side.take() {
            self.results.0.put(on_one_core(side));
        }
    }
}

/// A loss as two terms on independent graphs whose gradients add up to the loss's.
pub struct Halves {
    /// `[1]`, on the online network's graph (the first view).
    pub a: Tensor<1>,
    /// `[1]`, on the twin's graph (the second view).
    pub b: Tensor<1>,
    /// The online network with its parameters as separate leaves: `b`'s graph.
    pub twin: Network,
}

impl Halves {
    /// The loss's value, without joining the two graphs (which would put them under one lock).
    pub fn total(&self) -> Tensor<1> {
        self.a.clone().detach() + self.b.clone().detach()
    }

    /// Both backward passes at once; the parameter gradients, summed, keyed as `online`'s.
    pub fn backward(self, online: &Network) -> GradientsParams {
        let Halves { a, b, twin } = self;
        let parallel = on_cpu(&a.device());
        let (from_a, from_b) = both(
            parallel,
            || GradientsParams::from_grads(a.backward(), online),
            || GradientsParams::from_grads(b.backward(), &twin),
        );
        sum_gradients(online, from_a, from_b)
    }
}

/// A symmetrised loss as the papers write it, `term(b₁, b₂) + term(b₂, b₁)` over the two
/// views' branches `bᵥ = branch(network, xᵥ)`, and the branches.
///
/// `split`: the method takes everything in a term from its second branch behind a
/// stop-gradient, so each term's gradient reaches its first branch only. Then each view runs
/// forward and backward on its own core, the second on a twin of the network, and the loss and
/// every gradient are those of one graph (tested in `tests/two_cores.rs`). Otherwise both
/// views are one graph.
pub fn symmetric<B: Send>(
    learner: &Learner,
    (x1, x2): (Tensor<2>, Tensor<2>),
    split: bool,
    branch: impl Fn(&Network, Tensor<2>) -> B + Sync,
    term: impl Fn(&B, &B) -> Tensor<1>,
) -> Symmetric<B> {
    if !split {
        let first = branch(&learner.online, x1);
        let second = branch(&learner.online, x2);
        let loss = term(&first, &second) + term(&second, &first);
        return Symmetric {
            first,
            second,
            loss,
            halves: None,
        };
    }
    let (first, second, twin) = two_views(learner, x1, x2, branch);
    let halves = Halves {
        a: term(&first, &second),
        b: term(&second, &first),
        twin,
    };
    Symmetric {
        first,
        second,
        loss: halves.total(),
        halves: Some(halves),
    }
}

/// What [`symmetric`] made: both views' branches and the loss.
pub struct Symmetric<B> {
    pub first: B,
    pub second: B,
    /// `[1]`
    pub loss: Tensor<1>,
    /// The loss's two terms on independent graphs, when split.
    pub halves: Option<Halves>,
}

impl<B> Symmetric<B> {
    /// The forward pass, with the outputs to check for overflow and the state update that
    /// `rest` makes of the two branches.
    pub fn forward(self, rest: impl FnOnce(B, B) -> (Vec<Tensor<2>>, StateUpdate)) -> Forward {
        let (outputs, update) = rest(self.first, self.second);
        Forward {
            loss: self.loss,
            outputs,
            update,
            halves: self.halves,
        }
    }
}

/// `branch(online, first)` and `branch(twin, second)` on the two cores (each view's input, and
/// whatever else its half needs); both results and the twin.
pub fn two_views<I: Send, T: Send>(
    learner: &Learner,
    first: I,
    second: I,
    branch: impl Fn(&Network, I) -> T + Sync,
) -> (T, T, Network) {
    let online = &learner.online;
    let twin = separate_leaves(online);
    let parallel = on_cpu(&learner.device);
    let (a, b) = both(parallel, || branch(online, first), || branch(&twin, second));
    (a, b, twin)
}

/// Both on two threads when `parallel` (on the CPU), else one after the other (a GPU is
/// parallel already, and its queue is best fed from one thread): the same results.
fn both<A: Send, B: Send>(
    parallel: bool,
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B + Send,
) -> (A, B) {
    if parallel {
        alongside(first, second)
    } else {
        (first(), second())
    }
}

/// A copy of `net` whose trainable parameters are new autodiff leaves with the same values
/// and `ParamId`s.
pub fn separate_leaves(net: &Network) -> Network {
    struct Fresh;
    impl ModuleMapper for Fresh {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            param.map(|t| {
                if t.is_require_grad() {
                    t.detach().require_grad()
                } else {
                    t
                }
            })
        }
    }
    net.clone().map(&mut Fresh)
}

/// `a + b`, parameter by parameter (a parameter in one only keeps its gradient).
fn sum_gradients(net: &Network, a: GradientsParams, b: GradientsParams) -> GradientsParams {
    struct Sum {
        a: GradientsParams,
        b: GradientsParams,
    }
    impl ModuleVisitor for Sum {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let id = param.id;
            let sum = match (self.a.remove::<D>(id), self.b.remove::<D>(id)) {
                (Some(x), Some(y)) => x + y,
                (Some(g), None) | (None, Some(g)) => g,
                (None, None) => return,
            };
            self.a.register(id, sum);
        }
    }
    let mut sum = Sum { a, b };
    net.visit(&mut sum);
    sum.a
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    #[test]
    fn alongside_returns_both_results_in_place_and_raises_either_panic() {
        for _ in 0..200 {
            let (a, b) = alongside(|| vec![1u8; 3], || "main");
            assert_eq!((a, b), (vec![1, 1, 1], "main"));
        }
        // Each part runs with its products unsplit, on whichever thread takes it.
        let (side, main) = alongside(crate::cpu::gemm::may_split, crate::cpu::gemm::may_split);
        assert_eq!((side, main), (false, false));
        let side_panics = catch_unwind(AssertUnwindSafe(|| alongside(|| panic!("side"), || 2)));
        assert!(side_panics.is_err());
        let main_panics = catch_unwind(AssertUnwindSafe(|| alongside(|| 1, || panic!("main"))));
        assert!(main_panics.is_err());
        // The helper is free again afterwards.
        assert_eq!(alongside(|| 3, || 4), (3, 4));
    }
}
