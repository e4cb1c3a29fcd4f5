//! `serve` / `ServeOptions` for `fc serve`: option validation (real Stripe needs both keys and a
//! safe API base) and a clean stop.

use std::time::Duration;

use finconn_testkit::{serve_until, ServeError, ServeOptions, StripeMode};

#[test]
fn options_map_to_a_config() {
    let c = ServeOptions::default().into_config(0).unwrap();
    assert!(matches!(c.stripe, StripeMode::InMemory));
    assert!(!c.bind_all);

    let missing_pk = ServeOptions {
        stripe_secret_key: Some("sk_test_abc".into()),
        ..Default::default()
    };
    assert!(matches!(
        missing_pk.into_config(0),
        Err(ServeError::Config(_))
    ));

    let real = ServeOptions {
        stripe_secret_key: Some("sk_test_abc".into()),
        stripe_publishable_key: Some("pk_test_abc".into()),
        bind_all: true,
        ..Default::default()
    };
    let c = real.into_config(8080).unwrap();
    assert_eq!((c.port, c.bind_all), (8080, true));
    match &c.stripe {
        StripeMode::Http {
            api,
            publishable_key,
        } => {
            assert_eq!(api.api_base(), "https://api.stripe.com");
            assert_eq!(publishable_key, "pk_test_abc");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !format!("{c:?}").contains("sk_test_abc"),
        "the secret key never shows"
    );

    let insecure = ServeOptions {
        stripe_secret_key: Some("sk_test_abc".into()),
        stripe_publishable_key: Some("pk_test_abc".into()),
        stripe_api_base: Some("http://stripe.example.com".into()),
        ..Default::default()
    };
    let e = insecure.into_config(0).unwrap_err();
    assert!(!e.to_string().contains("sk_test_abc"));
}

#[tokio::test]
async fn serve_until_stops_when_asked() {
    let r = tokio::time::timeout(
        Duration::from_secs(5),
        serve_until(
            0,
            ServeOptions::default(),
            tokio::time::sleep(Duration::from_millis(50)),
        ),
    )
    .await
    .expect("serve_until returns after its shutdown future");
    assert!(r.is_ok());
}
