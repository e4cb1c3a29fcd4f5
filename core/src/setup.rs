//! The setup self-check's rules: what an app's configuration should look like before it ships,
//! as [`SetupFinding`]s (pure; the networked crate adds the data directory probe). Apps run it in
//! debug builds (`FlowClient.checkSetup()`); nothing here blocks a client from working.

use crate::network::policy::BaseUrl;
use crate::return_url::ReturnUrlRules;

/// One item of the setup self-check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SetupFinding {
    /// A stable code: `backend_url`, `backend_https`, `return_urls`, `android_app_id`,
    /// `data_dir_writable`.
    pub code: String,
    /// True when this item is as it should be for a release build.
    pub passed: bool,
    /// What was found, in a sentence; for a failed item, what to change.
    pub message: String,
}

impl SetupFinding {
    pub fn pass(code: &str, message: impl Into<String>) -> Self {
        SetupFinding {
            code: code.into(),
            passed: true,
            message: message.into(),
        }
    }

    pub fn fail(code: &str, message: impl Into<String>) -> Self {
        SetupFinding {
            code: code.into(),
            passed: false,
            message: message.into(),
        }
    }
}

/// The configuration rules: the backend URL (parsed, and https for a release: plain http is only
/// accepted for loopback development), the return URLs (at least one, each valid) and the Android
/// application id (a well-formed `applicationId`, when set).
pub fn check_configuration(
    backend_url: &str,
    return_urls: &[String],
    android_app_id: Option<&str>,
) -> Vec<SetupFinding> {
    let mut findings = Vec::new();
    match BaseUrl::parse(backend_url, "backend URL") {
        Err(e) => findings.push(SetupFinding::fail("backend_url", e.to_string())),
        Ok(_) => {
            findings.push(SetupFinding::pass(
                "backend_url",
                "the backend URL is valid",
            ));
            if backend_url
                .trim()
                .to_ascii_lowercase()
                .starts_with("https://")
            {
                findings.push(SetupFinding::pass(
                    "backend_https",
                    "the backend is reached over https",
                ));
            } else {
                findings.push(SetupFinding::fail(
                    "backend_https",
                    "the backend is plain http on a loopback address: fine for development, never for a release; use an https URL",
                ));
            }
        }
    }
    if return_urls.is_empty() && android_app_id.is_some() {
        findings.push(SetupFinding::pass(
            "return_urls",
            "no return URL of the app's own: on Android, Stripe's native sheet brings the user back with its stripe-auth:// redirects for the application id (a WebView flow would need an https App Link)",
        ));
    } else if return_urls.is_empty() {
        findings.push(SetupFinding::fail(
            "return_urls",
            "no return URL is configured: Stripe could not bring the user back from the bank's app; register one (a custom scheme or an https app link) and list it in returnUrls",
        ));
    } else {
        match ReturnUrlRules::new(return_urls, None) {
            Ok(_) => findings.push(SetupFinding::pass(
                "return_urls",
                format!("{} return URL(s) configured and valid", return_urls.len()),
            )),
            Err(e) => findings.push(SetupFinding::fail("return_urls", e.to_string())),
        }
    }
    match android_app_id {
        None => findings.push(SetupFinding::pass(
            "android_app_id",
            "no Android application id: Stripe's stripe-auth:// redirects are not accepted (set it on Android)",
        )),
        Some(id) if is_application_id(id) => findings.push(SetupFinding::pass(
            "android_app_id",
            format!("Android application id {id:?}: it must equal the app's applicationId"),
        )),
        Some(id) => findings.push(SetupFinding::fail(
            "android_app_id",
            format!("{id:?} is not an Android applicationId (segments of letters, digits and _, separated by dots, each starting with a letter, at least two)"),
        )),
    }
    findings
}

/// An Android `applicationId`: at least two dot-separated segments, each a letter followed by
/// letters, digits or `_`.
fn is_application_id(id: &str) -> bool {
    let segments: Vec<&str> = id.split('.').collect();
    segments.len() >= 2
        && segments.iter().all(|s| {
            let mut chars = s.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(findings: &[SetupFinding]) -> Vec<&str> {
        findings
            .iter()
            .filter(|f| !f.passed)
            .map(|f| f.code.as_str())
            .collect()
    }

    #[test]
    fn a_release_configuration_passes_every_item() {
        let f = check_configuration(
            "https://api.example.com",
            &["myapp://stripe-redirect".into()],
            Some("com.example.app"),
        );
        assert_eq!(failed(&f), Vec::<&str>::new(), "{f:?}");
        assert_eq!(f.len(), 4);
    }

    #[test]
    fn development_and_mistakes_are_named() {
        let f = check_configuration("http://127.0.0.1:4242", &[], None);
        assert_eq!(failed(&f), ["backend_https", "return_urls"]);
        let f = check_configuration(
            "https://api.example.com",
            &["myapp://x".into()],
            Some("example"),
        );
        assert_eq!(failed(&f), ["android_app_id"]);
        // Android with Stripe's native sheet: no return URL of the app's own is right.
        let f = check_configuration("https://api.example.com", &[], Some("com.example.app"));
        assert_eq!(failed(&f), Vec::<&str>::new(), "{f:?}");
        let f = check_configuration("ftp://api.example.com", &["myapp://x".into()], None);
        assert_eq!(failed(&f), ["backend_url"]);
        for bad in [
            "com.example-app",
            "1com.example",
            "com..example",
            "com.example.",
            "com",
        ] {
            assert!(!is_application_id(bad), "{bad}");
        }
        assert!(is_application_id("io.finconn.sample_2"));
    }
}
