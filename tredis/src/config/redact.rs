//! Passwords kept out of messages: a URL quoted in an error shows `***` wherever one may be.

use std::fmt;

use super::url::OPTIONS;
use crate::Error;

/// An error about `url` that shows neither its password nor, quoted in `what`, a piece of it.
pub(super) fn bad(url: &str, what: impl fmt::Display) -> Error {
    let secrets = secret_ranges(url);
    let what = what.to_string();
    // Quoted pieces of the URL are odd-numbered between backticks; a piece found where a
    // password may be (an unescaped `?` in one makes its tail look like a port) becomes `***`.
    let from_secret = |piece: &str| {
        (0..url.len())
            .filter(|&i| url.as_bytes()[i..].starts_with(piece.as_bytes()))
            .any(|i| secrets.iter().any(|s| i < s.end && s.start < i + piece.len()))
    };
    let what: Vec<&str> = what
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 && !part.is_empty() && from_secret(part) { "***" } else { part })
        .collect();
    Error::config(format!("URL `{}`: {}", masked(url, &secrets), what.join("`")))
}

/// Byte ranges of `url` that may hold a password, chosen wide, since a URL that fails to parse
/// may have been cut in the wrong places: the user info up to the last `@` of the URL (a
/// password may hold `/`, `?`, `#` or `@` unescaped), but for a user name before its first
/// `:`; and the value of each option whose name speaks of a password (`password=`, `pass=`,
/// `token=` ...), up to the next known option (a password may hold `&` unescaped).
fn secret_ranges(url: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let start = url.find("://").map_or(0, |i| i + 3);
    if let Some(at) = url[start..].rfind('@').map(|i| start + i) {
        let info = &url[start..at];
        match info.find(':') {
            Some(colon) if !info[..colon].contains(['/', '?', '#', '&', '=']) => {
                out.push(start + colon + 1..at);
            }
            // The old `redis://password@host` form: all of it.
            _ => out.push(start..at),
        }
    }
    let lower = url.to_ascii_lowercase();
    for (i, _) in lower.match_indices(['?', '&']) {
        let Some((key, _)) = lower[i + 1..].split_once('=') else { continue };
        if key.contains(['&', '#'])
            || !["pass", "pwd", "secret", "token", "auth"].iter().any(|w| key.contains(w))
        {
            continue;
        }
        let value = i + 1 + key.len() + 1;
        let end = lower[value..]
            .match_indices('&')
            .map(|(j, _)| value + j)
            .find(|&j| OPTIONS.iter().any(|o| lower[j + 1..].starts_with(&format!("{o}="))))
            .unwrap_or(url.len());
        out.push(value..end);
    }
    out.retain(|r| !r.is_empty());
    out
}

/// `url` with each of `secrets` (ranges of it) shown as `***`.
fn masked(url: &str, secrets: &[std::ops::Range<usize>]) -> String {
    let mut shown = String::with_capacity(url.len());
    let mut from = 0;
    let mut sorted = secrets.to_vec();
    sorted.sort_by_key(|r| r.start);
    for r in sorted {
        if r.start >= from {
            shown.push_str(&url[from..r.start]);
            shown.push_str("***");
        }
        from = from.max(r.end);
    }
    shown.push_str(&url[from.min(url.len())..]);
    shown
}

/// The URL with anything that may be a password replaced by `***`, for messages.
pub(crate) fn redact(url: &str) -> String {
    masked(url, &secret_ranges(url))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::config::parse_url;

    /// Halves of the secret: a leaked fragment shows as well as the whole.
    const HALVES: [&str; 2] = ["Qz7", "Kx4"];

    pub(in crate::config) fn assert_hidden(what: &str, shown: &str) {
        for half in HALVES {
            assert!(!shown.contains(half), "{what}: the password shows in {shown}");
        }
    }

    #[test]
    fn passwords_never_show_whatever_the_url_form() {
        let urls = [
            "redis://user:Qz7Kx4@host:6379/0",
            "redis://Qz7Kx4@host",
            "redis://:Qz7Kx4@host",
            "redis://user:Qz7%2F%3F%40%23Kx4@host",
            "redis://user:Qz7/Kx4@host/2",
            "redis://user:Qz7?Kx4@host",
            "redis://user:Qz7@Kx4@host",
            "redis://user:Qz7#Kx4@host",
            "redis://user:Qz7:Kx4@host",
            "redis://host?password=Qz7Kx4&db=1",
            "redis://host?db=1&password=Qz7%26Kx4",
            "redis://host?db=1&password=Qz7&Kx4",
            "redis://host?db=1&password=Qz7&Kx4=1",
            "redis://host?PASSWORD=Qz7Kx4",
            "redis://host?pass=Qz7Kx4",
            "unix://user:Qz7Kx4@/tmp/redis.sock",
            "unix://Qz7Kx4@/tmp/redis.sock?db=1",
            "unix:///tmp/redis.sock?password=Qz7Kx4",
            "redis+unix://user:Qz7Kx4@relative.sock",
            "redis://user:Qz7Kx4@host:bad",
            "redis://user:Qz7Kx4@host/x",
            "redis://user:Qz7Kx4@host?bogus=1",
            "redis://user:Qz7Kx4@host?protocol=9",
            "redis://user:Qz7Kx4@[::1",
            "redis://user:Qz7%zzKx4@host",
            "redis://user:Qz7%FFKx4@host",
            "redis://Qz7%zzKx4@host",
            "http://user:Qz7Kx4@host",
            "rediss://user:Qz7Kx4@host",
            "user:Qz7Kx4@host:6379",
            "redis://user:Qz7Kx4@host#frag",
            "redis://user:Qz7Kx4@ho st",
        ];
        for url in urls {
            assert_hidden(url, &redact(url));
            match parse_url(url) {
                Result::Ok(parts) => assert_hidden(url, &format!("{parts:?}")),
                Err(e) => assert_hidden(url, &format!("{e} {e:?}")),
            }
        }
        // What stays shows: the user name, the host and the options.
        assert_eq!(redact("redis://me:Qz7Kx4@h:1/2?db=3"), "redis://me:***@h:1/2?db=3");
        assert_eq!(redact("redis://Qz7Kx4@h"), "redis://***@h");
        assert_eq!(redact("redis://h?db=1&password=Qz7&Kx4&name=x"), "redis://h?db=1&password=***&name=x");
        let e = parse_url("redis://u:Qz7Kx4@h:bad").unwrap_err().to_string();
        assert!(e.contains("redis://u:***@h:bad") && e.contains("port `bad`"), "{e}");
        let e = parse_url("redis://u:Qz7?Kx4@h").unwrap_err().to_string();
        assert!(e.contains("port `***`"), "{e}");
    }
}
