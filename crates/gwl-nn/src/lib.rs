//! gwl-nn
