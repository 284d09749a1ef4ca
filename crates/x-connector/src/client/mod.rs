//! The X API v2 client.
