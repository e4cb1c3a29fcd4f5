//! Where the app backend's endpoints live, relative to its base URL ([`BackendEndpoints`]), with
//! the contract's paths (`docs/backend-contract.md`) as defaults. Each default is written once, in
//! the table below: the macro makes both the `uniffi` default that Swift and Kotlin show and the
//! `Default` the core uses from it.

macro_rules! backend_endpoints {
    ($( $(#[doc = $doc:tt])* $field:ident = $path:tt, )*) => {
        /// Backend paths; `{id}` is one path segment, replaced by the session or account id. Each
        /// must be `/`-separated letters, digits, `- _ . ~` or `{id}`: a path that could leave the
        /// base URL is refused when the client is created.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
        pub struct BackendEndpoints {
            $(
                $(#[doc = $doc])*
                #[cfg_attr(feature = "uniffi", uniffi(default = $path))]
                pub $field: String,
            )*
        }

        impl Default for BackendEndpoints {
            /// The contract's paths (`docs/backend-contract.md`).
            fn default() -> Self {
                BackendEndpoints {
                    $( $field: $path.to_owned(), )*
                }
            }
        }
    };
}

backend_endpoints! {
    /// `POST`: a new session.
    create_session = "/financial-connections/sessions",
    /// `POST`: the flow's completion report.
    complete_session = "/financial-connections/sessions/{id}/complete",
    /// `GET`: the user's linked accounts.
    list_accounts = "/financial-connections/accounts",
    /// `POST`: disconnects one account.
    disconnect_account = "/financial-connections/accounts/{id}/disconnect",
    /// `GET`: one account with its balance and refresh records.
    account = "/financial-connections/accounts/{id}",
    /// `POST {"features": [...]}`: starts Stripe's asynchronous refreshes.
    refresh_account = "/financial-connections/accounts/{id}/refresh",
    /// `GET ?starting_after=`: a Stripe list of the account's owners.
    account_owners = "/financial-connections/accounts/{id}/owners",
    /// `GET ?starting_after=&limit=&after_refresh=`: a Stripe list of transactions.
    account_transactions = "/financial-connections/accounts/{id}/transactions",
    /// `POST {"features": ["transactions"]}`: Stripe refreshes the transactions daily.
    subscribe = "/financial-connections/accounts/{id}/subscribe",
    /// `POST {"features": ["transactions"]}`: stops the daily refreshes.
    unsubscribe = "/financial-connections/accounts/{id}/unsubscribe",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_contracts_paths() {
        let e = BackendEndpoints::default();
        assert_eq!(e.create_session, "/financial-connections/sessions");
        assert_eq!(
            e.account_transactions,
            "/financial-connections/accounts/{id}/transactions"
        );
        assert!([
            &e.complete_session,
            &e.disconnect_account,
            &e.account,
            &e.refresh_account
        ]
        .iter()
        .all(|p| p.starts_with("/financial-connections/") && p.contains("{id}")));
    }
}
