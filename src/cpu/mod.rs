//! The CPU path's own kernels, where Burn's op-by-op execution on flex leaves most of the time
//! on the table: matrix products split over both cores ([`gemm`], with the [`helper`] thread
//! that takes half of each), and the layers built on them ([`layers`]: a linear layer, batch
//! norm with ReLU, the convolutions' patches), each with its exact backward pass entered into
//! Burn's autodiff graph; element-wise passes split by rows over both cores ([`rows`]), blocks of
//! dot products and a fast exp for the metrics and the losses ([`dots`]). The compute threads
//! (this helper, a run's trainer and projector) give way to the window's ([`priority`]).
//! On a GPU the model runs Burn's own ops.

pub mod dots;
pub mod gemm;
pub mod helper;
pub mod layers;
pub mod priority;
pub mod rows;
pub mod symmetric;
