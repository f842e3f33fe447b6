//! The networks: encoders (MLP for vectors, a small CNN for images), projector/predictor heads
//! with batch-norm toggles, DINO's prototypes, CLIP's text tower, and the EMA teacher utility.

pub mod bn;
pub mod conv;
pub mod ema;
pub mod encoder;
pub mod head;
pub mod init;
pub mod network;

pub use bn::BatchNorm1d;
pub use encoder::Encoder;
pub use head::Head;
pub use network::Network;
