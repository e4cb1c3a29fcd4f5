//! Session options: what the app asks its backend to create a Financial Connections Session with,
//! validated before any network call so a typo fails fast, locally, with a message a developer
//! understands instead of a 400 from Stripe three hops away.

use serde::{Deserialize, Serialize};

use crate::model::{AccountSubcategory, Permission, PrefetchFeature};
use crate::return_url::ReturnUrlRules;

/// Longest Stripe object id we accept in options (`fcauth_…`, `fca_…`). Stripe ids are far shorter.
const MAX_ID_LEN: usize = 255;

/// What a flow asks the backend for. Mirrors Stripe's `POST /v1/financial_connections/sessions`
/// parameters that a mobile app may choose; the account holder is the backend's business.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionOptions {
    /// Data the user is asked to share. At least one.
    pub permissions: Vec<Permission>,
    /// Data Stripe fetches as soon as accounts are linked. Each needs its permission.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefetch: Vec<PrefetchFeature>,
    /// Only these account subcategories can be linked (`filters.account_subcategories`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account_subcategories: Vec<AccountSubcategory>,
    /// Relink an existing authorization instead of linking new accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relink: Option<RelinkRequest>,
    /// Where Stripe sends the user back after an OAuth hand-off in the bank's app or browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
}

/// `relink_options` of a session: the authorization to repair, optionally one specific account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RelinkRequest {
    /// The authorization to repair (`account.authorization`, e.g. `fcauth_…`).
    pub authorization: String,
    /// One specific account the user must relink.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub account: Option<String>,
    /// The accounts the app already has on this authorization, so the result can say which were
    /// relinked, which are new and which are missing. Not sent to the backend.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub known_account_ids: Vec<String>,
}

/// Why options were refused. Every variant is a mistake in the app's code or configuration;
/// the message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    #[error("at least one permission is required (for example `balances` or `payment_method`)")]
    NoPermissions,
    #[error("{field} value {value:?} is not a Stripe value: use lowercase letters and underscores, like `transactions`")]
    MalformedValue { field: &'static str, value: String },
    #[error("prefetch `{feature}` needs the `{permission}` permission, which is not requested")]
    PrefetchWithoutPermission { feature: String, permission: String },
    #[error(
        "relink authorization id {0:?} is not a Stripe id (expected something like `fcauth_123`)"
    )]
    InvalidRelinkAuthorization(String),
    #[error(
        "relink account id {0:?} is not a Stripe account id (expected something like `fca_123`)"
    )]
    InvalidRelinkAccount(String),
    #[error("return URL is invalid: {0}")]
    InvalidReturnUrl(String),
    /// The session's return URL is not one the client recognises: Stripe would send the user back
    /// to a link the app then rejects, and the flow could never see the user return.
    #[error("return URL {0:?} is not one of the configured return URLs (`returnUrls` of the client's configuration): add it there, or pass one of them")]
    ReturnUrlNotConfigured(String),
}

impl SessionOptions {
    /// Options asking only for the given permissions.
    pub fn with_permissions(permissions: Vec<Permission>) -> Self {
        SessionOptions {
            permissions,
            prefetch: Vec::new(),
            account_subcategories: Vec::new(),
            relink: None,
            return_url: None,
        }
    }

    /// [`validate`](Self::validate), and the return URL, when there is one, must be one of the
    /// client's configured return URLs (`rules`).
    pub fn validate_for(&self, rules: &ReturnUrlRules) -> Result<SessionOptions, OptionsError> {
        let options = self.validate()?;
        if let Some(url) = &options.return_url {
            if !rules.is_match(url) {
                return Err(OptionsError::ReturnUrlNotConfigured(url.clone()));
            }
        }
        Ok(options)
    }

    /// Checks the options and returns them normalised: duplicates removed, order kept.
    ///
    /// Unknown enum values are allowed when they look like Stripe values (`[a-z0-9_]+`): Stripe adds
    /// permissions and filters over time, and an app should not need a new SDK to use them.
    pub fn validate(&self) -> Result<SessionOptions, OptionsError> {
        if self.permissions.is_empty() {
            return Err(OptionsError::NoPermissions);
        }
        for p in &self.permissions {
            check_stripe_value("permissions", p.as_str())?;
        }
        for f in &self.prefetch {
            check_stripe_value("prefetch", f.as_str())?;
            let needed = permission_for_prefetch(f);
            if let Some(needed) = needed {
                if !self.permissions.contains(&needed) {
                    return Err(OptionsError::PrefetchWithoutPermission {
                        feature: f.as_str().to_owned(),
                        permission: needed.as_str().to_owned(),
                    });
                }
            }
        }
        for s in &self.account_subcategories {
            check_stripe_value("account_subcategories", s.as_str())?;
        }
        if let Some(relink) = &self.relink {
            if !is_stripe_id(&relink.authorization) {
                return Err(OptionsError::InvalidRelinkAuthorization(
                    relink.authorization.clone(),
                ));
            }
            if let Some(account) = &relink.account {
                if !is_stripe_id(account) {
                    return Err(OptionsError::InvalidRelinkAccount(account.clone()));
                }
            }
        }
        if let Some(url) = &self.return_url {
            ReturnUrlRules::new(&[url.as_str()], None)
                .map_err(|e| OptionsError::InvalidReturnUrl(e.to_string()))?;
        }
        Ok(SessionOptions {
            permissions: dedup(&self.permissions),
            prefetch: dedup(&self.prefetch),
            account_subcategories: dedup(&self.account_subcategories),
            relink: self.relink.clone(),
            return_url: self.return_url.clone(),
        })
    }
}

/// The permission a prefetch feature needs; `None` for values this SDK does not know yet.
fn permission_for_prefetch(feature: &PrefetchFeature) -> Option<Permission> {
    match feature.as_str() {
        "balances" | "inferred_balances" => Some(Permission::Balances),
        "ownership" => Some(Permission::Ownership),
        "transactions" => Some(Permission::Transactions),
        _ => None,
    }
}

fn check_stripe_value(field: &'static str, value: &str) -> Result<(), OptionsError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(OptionsError::MalformedValue {
            field,
            value: value.to_owned(),
        })
    }
}

/// Stripe ids are ASCII letters, digits and underscores (`fcauth_1Pgc76B7WZ01zgkW`).
fn is_stripe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn dedup<T: PartialEq + Clone>(values: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(values.len());
    for v in values {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> SessionOptions {
        SessionOptions::with_permissions(vec![Permission::Balances, Permission::PaymentMethod])
    }

    #[test]
    fn minimal_options_are_valid() {
        assert_eq!(base().validate().unwrap(), base());
    }

    #[test]
    fn no_permission_is_refused() {
        let o = SessionOptions::with_permissions(vec![]);
        assert_eq!(o.validate(), Err(OptionsError::NoPermissions));
        assert!(OptionsError::NoPermissions
            .to_string()
            .contains("at least one"));
    }

    #[test]
    fn duplicates_are_removed_in_order() {
        let mut o = base();
        o.permissions.push(Permission::Balances);
        o.prefetch = vec![PrefetchFeature::Balances, PrefetchFeature::Balances];
        let v = o.validate().unwrap();
        assert_eq!(
            v.permissions,
            vec![Permission::Balances, Permission::PaymentMethod]
        );
        assert_eq!(v.prefetch, vec![PrefetchFeature::Balances]);
    }

    #[test]
    fn unknown_but_well_formed_values_pass_and_garbage_fails() {
        let mut o = base();
        o.permissions.push(Permission::from("future_permission"));
        assert!(o.validate().is_ok());
        o.permissions.push(Permission::from("Bad Value!"));
        let err = o.validate().unwrap_err();
        assert!(matches!(
            err,
            OptionsError::MalformedValue {
                field: "permissions",
                ..
            }
        ));
        assert!(err.to_string().contains("Bad Value!"));
    }

    #[test]
    fn prefetch_needs_its_permission() {
        let mut o = base();
        o.prefetch = vec![PrefetchFeature::Transactions];
        assert_eq!(
            o.validate(),
            Err(OptionsError::PrefetchWithoutPermission {
                feature: "transactions".into(),
                permission: "transactions".into()
            })
        );
        o.permissions.push(Permission::Transactions);
        assert!(o.validate().is_ok());
    }

    #[test]
    fn subcategory_filters_are_checked() {
        let mut o = base();
        o.account_subcategories = vec![AccountSubcategory::Checking, AccountSubcategory::Savings];
        assert!(o.validate().is_ok());
        o.account_subcategories.push(AccountSubcategory::from(""));
        assert!(matches!(
            o.validate(),
            Err(OptionsError::MalformedValue {
                field: "account_subcategories",
                ..
            })
        ));
    }

    #[test]
    fn relink_ids_are_checked() {
        let mut o = base();
        o.relink = Some(RelinkRequest {
            authorization: "fcauth_123".into(),
            account: Some("fca_456".into()),
            known_account_ids: vec![],
        });
        assert!(o.validate().is_ok());
        o.relink = Some(RelinkRequest {
            authorization: " ".into(),
            account: None,
            known_account_ids: vec![],
        });
        assert!(matches!(
            o.validate(),
            Err(OptionsError::InvalidRelinkAuthorization(_))
        ));
        o.relink = Some(RelinkRequest {
            authorization: "fcauth_1".into(),
            account: Some("fca_1/../x".into()),
            known_account_ids: vec![],
        });
        assert!(matches!(
            o.validate(),
            Err(OptionsError::InvalidRelinkAccount(_))
        ));
    }

    #[test]
    fn the_return_url_must_be_one_the_client_recognises() {
        let rules = ReturnUrlRules::new(&["myapp://stripe-redirect"], None).unwrap();
        let mut o = SessionOptions::with_permissions(vec![Permission::Balances]);
        assert!(
            o.validate_for(&rules).is_ok(),
            "no return URL: nothing to check"
        );
        o.return_url = Some("myapp://stripe-redirect".into());
        assert!(o.validate_for(&rules).is_ok());
        for other in [
            "myapp://other-path",
            "otherapp://stripe-redirect",
            "https://example.com/fc-return",
        ] {
            o.return_url = Some(other.into());
            let e = o.validate_for(&rules).unwrap_err();
            assert_eq!(e, OptionsError::ReturnUrlNotConfigured(other.into()));
            assert!(e.to_string().contains("returnUrls"), "{e}");
        }
    }

    #[test]
    fn return_url_is_checked_with_the_return_url_rules() {
        let mut o = base();
        o.return_url = Some("myapp://stripe-redirect".into());
        assert!(o.validate().is_ok());
        o.return_url = Some("https://example.com/fc-return".into());
        assert!(o.validate().is_ok());
        for bad in [
            "javascript:alert(1)",
            "not a url",
            "http://example.com/x",
            "",
        ] {
            o.return_url = Some(bad.into());
            assert!(
                matches!(o.validate(), Err(OptionsError::InvalidReturnUrl(_))),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn options_round_trip_through_json() {
        let mut o = base();
        o.relink = Some(RelinkRequest {
            authorization: "fcauth_1".into(),
            account: None,
            known_account_ids: vec!["fca_1".into()],
        });
        let json = serde_json::to_string(&o).unwrap();
        let back: SessionOptions = serde_json::from_str(&json).unwrap();
        assert_eq!(back, o);
    }
}
