//! [`Credentials`] that change: a provider the client asks for a user name and password (or
//! token) whenever it connects, and again before they expire, so that live connections
//! re-authenticate with AUTH in place, without being dropped and without failing a request.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// What a credentials provider may fail with.
pub type ProviderError = Box<dyn std::error::Error + Send + Sync>;

/// A provider, as the client keeps it.
pub(crate) type Provider =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<Credentials, ProviderError>> + Send>> + Send + Sync>;

/// A user name and password (or token), and how long they are good for. Its `Debug` never
/// shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub(crate) username: Option<String>,
    pub(crate) password: String,
    pub(crate) valid_for: Option<Duration>,
}

impl Credentials {
    /// The password of the `default` user.
    pub fn password(password: impl Into<String>) -> Credentials {
        Credentials { username: None, password: password.into(), valid_for: None }
    }

    /// An ACL user and its password (or token).
    pub fn user(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials { username: Some(username.into()), password: password.into(), valid_for: None }
    }

    /// Good for this long: live connections re-authenticate with fresh credentials when three
    /// quarters of it have passed.
    pub fn valid_for(mut self, lifetime: Duration) -> Credentials {
        self.valid_for = Some(lifetime);
        self
    }

    /// When to ask again: three quarters into the lifetime, at least 100 ms after.
    pub(crate) fn refresh_after(&self) -> Option<Duration> {
        self.valid_for.map(|d| (d * 3 / 4).max(Duration::from_millis(100)))
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"***")
            .field("valid_for", &self.valid_for)
            .finish()
    }
}

/// Wraps a user's provider.
pub(crate) fn provider<F, Fut>(f: F) -> Provider
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Credentials, ProviderError>> + Send + 'static,
{
    Arc::new(move || Box::pin(f()))
}
