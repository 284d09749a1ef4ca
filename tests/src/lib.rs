pub mod fake_x;

/// An HTTP client for calls to an actix server (the service, a webhook receiver): it drops
/// a pooled connection after 2 s idle, before actix's default keep-alive (5 s) closes it.
/// A request written on a connection the server is closing at that moment fails
/// (`IncompleteMessage`) without reaching the server.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().pool_idle_timeout(std::time::Duration::from_secs(2))
}
