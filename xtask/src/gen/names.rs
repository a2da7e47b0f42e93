//! Rust names made from server names.

/// `CLIENT NO-EVICT` -> `client_no_evict`; `ip:port` -> `ip_port`.
pub fn snake(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn snake_names() {
        assert_eq!(super::snake("CLIENT NO-EVICT"), "client_no_evict");
        assert_eq!(super::snake("ip:port"), "ip_port");
        assert_eq!(super::snake("yes/no"), "yes_no");
        assert_eq!(super::snake("SORT_RO"), "sort_ro");
    }
}
