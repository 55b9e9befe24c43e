//! gwl-harness
