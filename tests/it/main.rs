//! The integration tests: one binary, public API only, against the real redis-server processes
//! that `cargo xtask test` starts (their URLs come in `TREDIS_TEST_*`).

mod support;

mod bitmaps;
mod cache;
mod cache_cluster;
mod cache_each;
mod cache_resp2;
mod cache_sentinel;
mod client;
mod cluster;
mod cluster_client;
mod cluster_fate;
mod cluster_faults;
mod connection;
mod coverage;
mod credentials;
mod deadlines;
mod dynamic_batch;
#[rustfmt::skip] // generated: `cargo xtask gen` owns its layout
mod examples;
mod faults;
mod geo;
mod hashes;
mod hyperloglog;
mod keys;
mod link_faults;
mod lists;
mod metrics;
mod proxy_selftest;
mod pubsub;
mod raw;
mod raw_cluster;
mod replicas;
mod scripting;
mod sentinel;
mod server;
mod sets;
mod sorted_sets;
mod spans;
mod streams;
mod strings;
mod subscriber;
mod subscriber_cluster;
mod subscriber_faults;
mod tls;
mod topology;
mod transactions;
mod user_types;
mod valkey;
mod wait;
