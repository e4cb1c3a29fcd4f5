//! Fault injection: the [`Endpoint`]s the simulator serves, the [`Fault`]s a test can queue on
//! them, and the per-endpoint FIFO queues ([`Faults`]). Each request to an endpoint consumes at
//! most one queued fault; how each fault is realised on the socket lives in `server.rs`.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::ids::lock;

/// Every route of the simulator that counts requests and accepts faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// Backend `POST /financial-connections/sessions`.
    CreateSession,
    /// Backend `POST /financial-connections/sessions/{session_id}/complete`.
    Complete,
    /// Backend `GET /financial-connections/accounts`.
    ListAccounts,
    /// Backend `POST /financial-connections/accounts/{account_id}/disconnect`.
    Disconnect,
    /// Backend `GET /financial-connections/accounts/{account_id}`.
    Account,
    /// Backend `POST /financial-connections/accounts/{account_id}/refresh`.
    Refresh,
    /// Backend `GET /financial-connections/accounts/{account_id}/owners`.
    Owners,
    /// Backend `GET /financial-connections/accounts/{account_id}/transactions`.
    Transactions,
    /// Backend `POST /financial-connections/accounts/{account_id}/subscribe` and `…/unsubscribe`.
    Subscriptions,
    /// Stripe (publishable key) `GET /v1/link_account_sessions/session_receipt`.
    StripeSessionReceipt,
    /// Stripe (publishable key) `GET /v1/link_account_sessions/list_accounts`.
    StripeListAccounts,
    /// Stripe (secret key) `POST /v1/customers`.
    StripeCreateCustomer,
    /// Stripe (secret key) `POST /v1/financial_connections/sessions`.
    StripeCreateSession,
    /// Stripe (secret key) `GET /v1/financial_connections/sessions/{id}`.
    StripeRetrieveSession,
    /// Stripe (secret key) `GET /v1/financial_connections/accounts` and `…/accounts/{id}`.
    StripeAccounts,
    /// Stripe (secret key) `POST /v1/financial_connections/accounts/{id}/disconnect`.
    StripeDisconnect,
    /// Stripe (secret key) `GET /v1/financial_connections/authorizations/{id}`.
    StripeAuthorization,
    /// Stripe (secret key) `POST /v1/financial_connections/accounts/{id}/refresh`.
    StripeRefresh,
    /// Stripe (secret key) `GET /v1/financial_connections/accounts/{id}/owners`.
    StripeOwners,
    /// Stripe (secret key) `GET /v1/financial_connections/transactions`.
    StripeTransactions,
    /// Stripe (secret key) `POST /v1/financial_connections/accounts/{id}/subscribe` and
    /// `…/unsubscribe`.
    StripeSubscriptions,
}

impl Endpoint {
    /// All endpoints, backend first.
    pub const ALL: [Endpoint; 21] = [
        Endpoint::CreateSession,
        Endpoint::Complete,
        Endpoint::ListAccounts,
        Endpoint::Disconnect,
        Endpoint::Account,
        Endpoint::Refresh,
        Endpoint::Owners,
        Endpoint::Transactions,
        Endpoint::Subscriptions,
        Endpoint::StripeSessionReceipt,
        Endpoint::StripeListAccounts,
        Endpoint::StripeCreateCustomer,
        Endpoint::StripeCreateSession,
        Endpoint::StripeRetrieveSession,
        Endpoint::StripeAccounts,
        Endpoint::StripeDisconnect,
        Endpoint::StripeAuthorization,
        Endpoint::StripeRefresh,
        Endpoint::StripeOwners,
        Endpoint::StripeTransactions,
        Endpoint::StripeSubscriptions,
    ];

    /// Whether this is one of Stripe's `/v1` endpoints (errors then use Stripe's error shape).
    pub fn is_stripe(self) -> bool {
        !matches!(
            self,
            Endpoint::CreateSession
                | Endpoint::Complete
                | Endpoint::ListAccounts
                | Endpoint::Disconnect
                | Endpoint::Account
                | Endpoint::Refresh
                | Endpoint::Owners
                | Endpoint::Transactions
                | Endpoint::Subscriptions
        )
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One injected misbehaviour. Plain faults replace the work: the backend or Stripe does **nothing**
/// for that request. [`Fault::ResetAfterCommit`] and [`Fault::AfterCommit`] let the request do its
/// work first (session created, report recorded, account disconnected) and then break the answer,
/// which is how tests prove that retries do not duplicate anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Wait, then answer normally (a slow server; use it to trip client timeouts). The work is
    /// done after the wait even if the client has given up, as a real server would.
    Delay(Duration),
    /// Answer this status (normally 5xx) with a JSON error body.
    Status(u16),
    /// Answer `429` with `Retry-After: <secs>` and a JSON error body.
    TooManyRequests { retry_after_secs: u64 },
    /// Read the request, then close the socket without a response, with `SO_LINGER 0` so the
    /// client sees a TCP RST (`ECONNRESET`).
    ConnectionReset,
    /// `200` with `Content-Type: application/json` and a correctly framed but truncated JSON body.
    MalformedJson,
    /// Status line and headers with a `Content-Length` larger than the bytes sent, part of the
    /// body, then nothing until the client gives up (or the simulator shuts down).
    NeverFinishingBody,
    /// Do the work, then reset the connection: the client cannot know it succeeded.
    ResetAfterCommit,
    /// Do the work, then realise the inner fault on the real answer (`MalformedJson` truncates
    /// the real body, `Delay` delays it, `Status` replaces it, …).
    AfterCommit(Box<Fault>),
}

impl Fault {
    /// `Fault::AfterCommit(Box::new(inner))`.
    pub fn after_commit(inner: Fault) -> Fault {
        Fault::AfterCommit(Box::new(inner))
    }
}

/// The per-endpoint FIFO fault queues. Cloning shares the queues.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    queues: Arc<Mutex<HashMap<Endpoint, VecDeque<Fault>>>>,
}

impl Faults {
    /// Queues `fault` for the next request to `endpoint` that has no earlier fault waiting.
    pub fn push(&self, endpoint: Endpoint, fault: Fault) -> &Self {
        lock(&self.queues)
            .entry(endpoint)
            .or_default()
            .push_back(fault);
        self
    }

    /// Queues `fault` `times` times.
    pub fn push_n(&self, endpoint: Endpoint, fault: Fault, times: usize) -> &Self {
        for _ in 0..times {
            self.push(endpoint, fault.clone());
        }
        self
    }

    /// Faults still waiting for `endpoint`.
    pub fn pending(&self, endpoint: Endpoint) -> usize {
        lock(&self.queues).get(&endpoint).map_or(0, VecDeque::len)
    }

    /// Drops every queued fault.
    pub fn clear(&self) {
        lock(&self.queues).clear();
    }

    pub(crate) fn pop(&self, endpoint: Endpoint) -> Option<Fault> {
        lock(&self.queues).get_mut(&endpoint)?.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_are_fifo_and_per_endpoint() {
        let f = Faults::default();
        f.push(Endpoint::Complete, Fault::Status(500))
            .push(Endpoint::Complete, Fault::ConnectionReset);
        f.push_n(Endpoint::CreateSession, Fault::MalformedJson, 2);
        assert_eq!(f.pending(Endpoint::Complete), 2);
        assert_eq!(f.pop(Endpoint::Complete), Some(Fault::Status(500)));
        assert_eq!(f.pop(Endpoint::Complete), Some(Fault::ConnectionReset));
        assert_eq!(f.pop(Endpoint::Complete), None);
        assert_eq!(f.pending(Endpoint::CreateSession), 2);
        f.clear();
        assert_eq!(f.pop(Endpoint::CreateSession), None);
    }

    #[test]
    fn all_is_complete_and_backend_first() {
        let stripe_from = Endpoint::ALL.iter().position(|e| e.is_stripe()).unwrap();
        assert!(Endpoint::ALL[stripe_from..].iter().all(|e| e.is_stripe()));
        assert!(!Endpoint::ALL[..stripe_from].iter().any(|e| e.is_stripe()));
        let mut sorted = Endpoint::ALL.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), Endpoint::ALL.len());
        // Declaration order (`Ord`) is the order of `ALL`.
        assert_eq!(sorted, Endpoint::ALL.to_vec());
    }
}
