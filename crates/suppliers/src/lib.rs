//! phoneguard suppliers.
