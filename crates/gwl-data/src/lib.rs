//! gwl-data
