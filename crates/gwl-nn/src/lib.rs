//! gwl-nn: the networks we study, their training, and fast inference.
mod arch;

pub use arch::{Arch, InputShape, Layer, Stage};
