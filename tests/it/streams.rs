//! Tests of this group are being written.
