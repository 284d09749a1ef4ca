//! The webhook side of X's Account Activity API: the CRC answer, the delivery signature check
//! (R-INGEST-1) and the typed delivery model.

mod crypto;
mod payload;
mod replay_status;

pub use crypto::{
    crc_response_token, verify_signature, SignatureRejected, WebhookKey, SIGNATURE_HEADER,
};
pub use payload::{
    DirectMessage, MalformedDelivery, WebhookApp, WebhookDelivery, WebhookUser, LATEST_MS,
};
pub use replay_status::ReplayJobStatus;
