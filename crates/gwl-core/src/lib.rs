//! gwl-core
