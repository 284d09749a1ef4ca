//! Everything that speaks X's protocol, with no knowledge of the database or of actix.
//!
//! - [`oauth`]: OAuth 1.0a request signing, HMAC-SHA1 or HMAC-SHA256 per channel (R-CRED-7).
//! - [`webhook`]: the CRC answer, the event signature check and the delivery model (R-INGEST-1).
//! - [`event`]: one direct message as the service keeps it, whatever delivery shape brought it.
//! - [`client`]: the X API v2 client with rate-limit headers as data (R-INTEG-2, R-INGEST-2, R-INGEST-6).
//! - [`Secret`]: the wrapper that keeps secrets out of `Debug` and error output (R-CRED-3).

pub mod client;
mod encode;
pub mod event;
pub mod oauth;
mod secret;
pub mod trust;
pub mod webhook;

pub use client::{
    AppCredentials, Authentication, BearerToken, RateLimit, TlsTrust, XClient, XClientConfig,
    XError, XResponse,
};
pub use event::{
    Attachment, DeliveredEvents, Direction, MalformedDmEvent, MessageEvent, PulledEvents,
};
pub use oauth::{SignatureMethod, UserCredentials};
pub use secret::Secret;
pub use webhook::{SignatureRejected, WebhookKey};
