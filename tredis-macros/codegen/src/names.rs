//! Server tokens to Rust identifiers: snake_case methods, CamelCase types, keyword checks.

/// Words that cannot be method, parameter or setter names.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try", "typeof",
    "unsized", "virtual", "yield",
];

/// True for Rust keywords, strict and reserved.
pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// True for a lower snake_case identifier that is not a keyword.
pub fn is_snake_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !is_keyword(s)
}

/// True for an UpperCamelCase type name.
pub fn is_type_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `client_no_evict` -> `ClientNoEvict`.
pub fn camel(snake: &str) -> String {
    snake
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The redis.io page of a command: `CLIENT KILL` -> `https://redis.io/commands/client-kill/`.
pub fn doc_url(name: &str, on_redis: bool) -> String {
    let site = if on_redis { "redis.io" } else { "valkey.io" };
    format!("https://{site}/commands/{}/", name.to_ascii_lowercase().replace(' ', "-"))
}

/// The group's cargo feature (`sorted-set`), module-safe id (`sorted_set`) and trait name.
pub fn group_trait(group: &str) -> String {
    camel(&group.replace('-', "_")) + "Commands"
}

/// A server name as a Rust name: `CLIENT NO-EVICT` -> `client_no_evict`; `ip:port` -> `ip_port`.
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
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_snake_ident("client_no_evict"));
        assert!(!is_snake_ident("type"));
        assert!(!is_snake_ident("Set"));
        assert!(is_type_ident("SetExpiration"));
        assert_eq!(camel("client_no_evict"), "ClientNoEvict");
        assert_eq!(group_trait("sorted-set"), "SortedSetCommands");
        assert_eq!(doc_url("CLIENT KILL", true), "https://redis.io/commands/client-kill/");
        assert_eq!(doc_url("CLIENT CAPA", false), "https://valkey.io/commands/client-capa/");
    }

    #[test]
    fn snake_names() {
        assert_eq!(snake("CLIENT NO-EVICT"), "client_no_evict");
        assert_eq!(snake("ip:port"), "ip_port");
        assert_eq!(snake("yes/no"), "yes_no");
        assert_eq!(snake("SORT_RO"), "sort_ro");
    }
}
