//! The X connector's client over real TLS against the fake X's https mode: it trusts exactly
//! the PEM certificates the system administrator uploaded, and the platform's roots only when
//! the deployment allows them (R-INTEG-4).

use std::time::Duration;

use x_connector::client::TlsTrust;
use x_connector::{
    AppCredentials, SignatureMethod, UserCredentials, XClient, XClientConfig, XError,
};
use xchannel_tests::fake_x::{unrelated_ca_certificate_pem, FakeAccount, FakeX};

const API_KEY: &str = "tls-api-key";
const API_KEY_SECRET: &str = "tls-api-key-secret";
const ACCESS_TOKEN: &str = "1600000000000000001-tls-access-token";
const ACCESS_TOKEN_SECRET: &str = "tls-access-token-secret";
const USER_ID: &str = "1600000000000000001";

async fn https_fake_x() -> FakeX {
    let fake = FakeX::start_tls().await.expect("https fake X starts");
    assert!(
        fake.base_url().starts_with("https://127.0.0.1:"),
        "{}",
        fake.base_url()
    );
    fake.add_app(API_KEY, API_KEY_SECRET);
    fake.add_account(FakeAccount {
        user_id: USER_ID.into(),
        name: "Contact Center".into(),
        username: "contact_center".into(),
        api_key: API_KEY.into(),
        access_token: ACCESS_TOKEN.into(),
        access_token_secret: ACCESS_TOKEN_SECRET.into(),
    });
    fake
}

fn fake_ca(fake: &FakeX) -> Vec<u8> {
    fake.ca_certificate_pem()
        .expect("an https fake has a CA")
        .as_bytes()
        .to_vec()
}

fn client(fake: &FakeX, tls: TlsTrust) -> XClient {
    let mut config = XClientConfig::new(fake.base_url().parse().unwrap());
    config.timeout = Duration::from_secs(5);
    config.tls = tls;
    XClient::new(config).expect("the client builds")
}

fn trusting(pem_certificates: Vec<Vec<u8>>) -> TlsTrust {
    TlsTrust {
        pem_certificates,
        allow_platform_roots: false,
    }
}

fn credentials() -> UserCredentials {
    UserCredentials::new(API_KEY, API_KEY_SECRET, ACCESS_TOKEN, ACCESS_TOKEN_SECRET)
}

/// `users_me` must fail before any request reaches the fake, as a transport error that says
/// the certificate was refused and holds no secret.
async fn assert_refused_before_any_request(fake: &FakeX, client: &XClient) {
    let error = client
        .users_me(&credentials(), SignatureMethod::HmacSha1)
        .await
        .unwrap_err();
    let XError::Transport(reason) = &error else {
        panic!("expected a transport error, got {error:?}");
    };
    assert!(reason.to_lowercase().contains("certificate"), "{reason}");
    for text in [error.to_string(), format!("{error:?}")] {
        for secret in [API_KEY_SECRET, ACCESS_TOKEN_SECRET, ACCESS_TOKEN] {
            assert!(!text.contains(secret), "{text} contains {secret}");
        }
    }
    assert!(
        fake.received().is_empty(),
        "the signed request reached an untrusted server"
    );
}

#[tokio::test]
async fn users_me_over_https_succeeds_when_the_fakes_ca_is_the_uploaded_certificate() {
    let fake = https_fake_x().await;
    let client = client(&fake, trusting(vec![fake_ca(&fake)]));
    for method in [SignatureMethod::HmacSha1, SignatureMethod::HmacSha256] {
        let me = client.users_me(&credentials(), method).await.unwrap();
        assert_eq!(me.value.id, USER_ID);
        assert_eq!(me.value.username, "contact_center");
    }
    let received = fake.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].authentication.as_deref(), Some("HMAC-SHA1"));
    assert_eq!(received[1].authentication.as_deref(), Some("HMAC-SHA256"));
}

#[tokio::test]
async fn the_app_bearer_token_and_dm_events_work_over_https_with_the_uploaded_certificate() {
    let fake = https_fake_x().await;
    fake.add_received_message(USER_ID, "2600000000000000002", "hello over TLS");
    let client = client(&fake, trusting(vec![fake_ca(&fake)]));
    let app = AppCredentials::new(API_KEY, API_KEY_SECRET);
    client.app_bearer_token(&app).await.unwrap();
    let page = client
        .dm_events(
            &credentials(),
            SignatureMethod::HmacSha1,
            &Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(page.value.events[0].text.as_deref(), Some("hello over TLS"));
}

#[tokio::test]
async fn without_an_uploaded_certificate_and_platform_roots_refused_https_fails_as_transport() {
    let fake = https_fake_x().await;
    let client = client(&fake, trusting(Vec::new()));
    assert_refused_before_any_request(&fake, &client).await;
}

#[tokio::test]
async fn platform_roots_alone_do_not_trust_a_private_ca() {
    let fake = https_fake_x().await;
    let tls = TlsTrust {
        pem_certificates: Vec::new(),
        allow_platform_roots: true,
    };
    let client = client(&fake, tls);
    assert_refused_before_any_request(&fake, &client).await;
}

#[tokio::test]
async fn an_unrelated_ca_certificate_does_not_trust_the_fake() {
    let fake = https_fake_x().await;
    let client = client(
        &fake,
        trusting(vec![unrelated_ca_certificate_pem().into_bytes()]),
    );
    assert_refused_before_any_request(&fake, &client).await;
}

#[tokio::test]
async fn a_bundle_of_several_certificates_trusts_the_one_that_is_the_right_ca() {
    let fake = https_fake_x().await;
    let right = fake.ca_certificate_pem().unwrap().to_owned();
    let (before, after) = (
        unrelated_ca_certificate_pem(),
        unrelated_ca_certificate_pem(),
    );
    for bundle in [
        format!("{before}{right}{after}"),
        format!("{right}\n{before}"),
        format!("{before}\n{after}\n{right}"),
    ] {
        let client = client(&fake, trusting(vec![bundle.into_bytes()]));
        let me = client
            .users_me(&credentials(), SignatureMethod::HmacSha1)
            .await
            .unwrap();
        assert_eq!(me.value.id, USER_ID);
    }
}

#[tokio::test]
async fn several_uploaded_certificates_trust_the_fake_when_one_is_its_ca() {
    let fake = https_fake_x().await;
    let uploads = vec![
        unrelated_ca_certificate_pem().into_bytes(),
        fake_ca(&fake),
        unrelated_ca_certificate_pem().into_bytes(),
    ];
    let me = client(&fake, trusting(uploads))
        .users_me(&credentials(), SignatureMethod::HmacSha1)
        .await
        .unwrap();
    assert_eq!(me.value.id, USER_ID);
}

#[tokio::test]
async fn an_upload_with_windows_line_endings_and_text_around_the_pem_is_trusted() {
    let fake = https_fake_x().await;
    let pem = fake.ca_certificate_pem().unwrap().replace('\n', "\r\n");
    let upload = format!("subject=CN = xchannel fake X test CA\r\n{pem}\r\n");
    let me = client(&fake, trusting(vec![upload.into_bytes()]))
        .users_me(&credentials(), SignatureMethod::HmacSha1)
        .await
        .unwrap();
    assert_eq!(me.value.id, USER_ID);
}
