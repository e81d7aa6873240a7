//! End-to-end tests of the whole toolkit live in `tests/`; this crate has no library code.
