//! The integration tests: one binary, public API only, against the real redis-server processes
//! that `cargo xtask test` starts (their URLs come in `TREDIS_TEST_URL*`).

mod support;

mod client;
mod connection;
mod coverage;
mod faults;
mod keys;
mod lists;
mod strings;
mod transactions;
