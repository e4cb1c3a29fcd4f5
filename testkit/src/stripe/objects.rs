//! The in-memory Stripe's records (session, account and its refreshes, authorization) and their
//! rendering as the exact JSON Stripe sends: `financial_connections.session`,
//! `financial_connections.account`, `financial_connections.authorization`, list objects. Shapes
//! follow Stripe's OpenAPI spec and fixtures (GA fields, plus the private-preview
//! `authorization`, `relink_*` and `status`). Owners and transactions live in `data.rs`.

use std::time::Instant;

use serde_json::{json, Map, Value};

use super::{AccountHolder, RelinkOptions};
use crate::institution::DataProfile;

pub(crate) const ACCOUNTS_URL: &str = "/v1/financial_connections/accounts";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RelinkResult {
    pub authorization: Option<String>,
    pub account: Option<String>,
    pub failure_reason: Option<String>,
}

/// The PP `status` of a session. `cancelled` is Stripe's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionStatus {
    Pending,
    Succeeded,
    Cancelled,
    Failed,
}

impl SessionStatus {
    fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Pending => "pending",
            SessionStatus::Succeeded => "succeeded",
            SessionStatus::Cancelled => "cancelled",
            SessionStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct SessionRec {
    pub id: String,
    pub client_secret: String,
    pub livemode: bool,
    pub account_holder: AccountHolder,
    pub permissions: Vec<String>,
    pub prefetch: Vec<String>,
    pub account_subcategories: Option<Vec<String>>,
    pub return_url: Option<String>,
    pub relink_options: Option<RelinkOptions>,
    pub relink_result: Option<RelinkResult>,
    pub status: SessionStatus,
    /// Accounts linked through this session, in link order.
    pub account_ids: Vec<String>,
}

impl SessionRec {
    /// The session object with the given page of (already rendered) accounts.
    pub fn to_json(&self, accounts: Vec<Value>, has_more: bool, with_secret: bool) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("object".into(), json!("financial_connections.session"));
        m.insert("account_holder".into(), self.account_holder.to_json());
        m.insert(
            "accounts".into(),
            json!({"object": "list", "data": accounts, "has_more": has_more, "url": ACCOUNTS_URL}),
        );
        if with_secret {
            m.insert("client_secret".into(), json!(self.client_secret));
        }
        m.insert(
            "filters".into(),
            json!({"account_subcategories": self.account_subcategories, "countries": ["US"]}),
        );
        m.insert("livemode".into(), json!(self.livemode));
        m.insert("permissions".into(), json!(self.permissions));
        m.insert("prefetch".into(), json!(self.prefetch));
        if let Some(r) = &self.return_url {
            m.insert("return_url".into(), json!(r));
        }
        if let Some(r) = &self.relink_options {
            m.insert(
                "relink_options".into(),
                json!({"authorization": r.authorization, "account": r.account}),
            );
        }
        if let Some(r) = &self.relink_result {
            m.insert(
                "relink_result".into(),
                json!({"authorization": r.authorization, "account": r.account, "failure_reason": r.failure_reason}),
            );
        }
        m.insert("status".into(), json!(self.status.as_str()));
        if self.status == SessionStatus::Cancelled {
            m.insert(
                "status_details".into(),
                json!({"cancelled": {"reason": "other"}}),
            );
        }
        Value::Object(m)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AccountState {
    Active,
    ActiveExpiring { expected_deactivation_date: i64 },
    Inactive { cause: String },
    Disconnected,
}

#[derive(Debug, Clone)]
pub(crate) struct AccountRec {
    pub id: String,
    pub created: i64,
    pub livemode: bool,
    pub account_holder: AccountHolder,
    pub authorization: String,
    pub institution_name: String,
    pub display_name: String,
    pub category: String,
    pub subcategory: String,
    pub last4: String,
    pub permissions: Vec<String>,
    /// What the bank holds, in cents (positive: owed to the holder; shown negated for credit
    /// accounts): the balance a successful balance refresh reads.
    pub bank_balance: i64,
    /// The balance last read (cents) and when; `None` until prefetched or refreshed.
    pub balance: Option<(i64, i64)>,
    pub balance_refresh: Option<RefreshRec>,
    /// The current `fcaowns_…`; `None` until prefetched or refreshed.
    pub ownership: Option<String>,
    pub ownership_refresh: Option<RefreshRec>,
    /// The last transaction refresh: its `fctxnref_…` id and state.
    pub transaction_refresh: Option<(String, RefreshRec)>,
    pub subscriptions: Vec<String>,
    pub data: DataProfile,
    pub state: AccountState,
}

/// The `status` of a balance, ownership or transaction refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshStatus {
    Pending,
    Succeeded,
    Failed,
}

impl RefreshStatus {
    fn as_str(self) -> &'static str {
        match self {
            RefreshStatus::Pending => "pending",
            RefreshStatus::Succeeded => "succeeded",
            RefreshStatus::Failed => "failed",
        }
    }
}

/// A `balance_refresh` / `ownership_refresh` / `transaction_refresh` (without the id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefreshRec {
    pub status: RefreshStatus,
    pub last_attempted_at: i64,
    pub next_refresh_available_at: Option<i64>,
    /// While pending: when it finishes (monotonic; settled lazily on the next read).
    pub due: Option<Instant>,
}

impl RefreshRec {
    /// A refresh that already succeeded (a prefetch at link time).
    pub fn succeeded(at: i64, next_available: i64) -> Self {
        RefreshRec {
            status: RefreshStatus::Succeeded,
            last_attempted_at: at,
            next_refresh_available_at: Some(next_available),
            due: None,
        }
    }

    pub fn pending(at: i64, due: Instant) -> Self {
        RefreshRec {
            status: RefreshStatus::Pending,
            last_attempted_at: at,
            next_refresh_available_at: None,
            due: Some(due),
        }
    }

    pub fn is_pending(&self) -> bool {
        self.status == RefreshStatus::Pending
    }

    /// Whether it is pending and its time has come.
    pub fn is_due(&self, now: Instant) -> bool {
        self.is_pending() && self.due.is_some_and(|d| d <= now)
    }

    /// Ends a pending refresh; the next one is available `cooldown_secs` after this one's attempt.
    pub fn finish(&mut self, succeeded: bool, cooldown_secs: i64) {
        self.status = if succeeded {
            RefreshStatus::Succeeded
        } else {
            RefreshStatus::Failed
        };
        self.next_refresh_available_at = Some(self.last_attempted_at + cooldown_secs);
        self.due = None;
    }

    pub fn to_json(&self) -> Value {
        json!({
            "last_attempted_at": self.last_attempted_at,
            "next_refresh_available_at": self.next_refresh_available_at,
            "status": self.status.as_str(),
        })
    }
}

fn refresh_json(r: Option<&RefreshRec>) -> Value {
    r.map_or(Value::Null, RefreshRec::to_json)
}

impl AccountRec {
    pub fn status(&self) -> &'static str {
        match self.state {
            AccountState::Active | AccountState::ActiveExpiring { .. } => "active",
            AccountState::Inactive { .. } => "inactive",
            AccountState::Disconnected => "disconnected",
        }
    }

    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    /// Whether any of its refreshes is still pending.
    pub fn has_pending_refresh(&self) -> bool {
        let pending = |r: Option<&RefreshRec>| r.is_some_and(RefreshRec::is_pending);
        pending(self.balance_refresh.as_ref())
            || pending(self.ownership_refresh.as_ref())
            || pending(self.transaction_refresh.as_ref().map(|(_, r)| r))
    }

    fn balance_json(&self) -> Value {
        match self.balance {
            None => Value::Null,
            Some((amount, at)) if self.category == "credit" => {
                json!({"as_of": at, "credit": {"used": {"usd": amount}}, "current": {"usd": -amount}, "type": "credit"})
            }
            Some((amount, at)) => {
                json!({"as_of": at, "cash": {"available": {"usd": amount}}, "current": {"usd": amount}, "type": "cash"})
            }
        }
    }

    fn transaction_refresh_json(&self) -> Value {
        match &self.transaction_refresh {
            None => Value::Null,
            Some((id, r)) => {
                let mut v = r.to_json();
                v["id"] = json!(id);
                v
            }
        }
    }

    fn status_details(&self) -> Option<Value> {
        match &self.state {
            AccountState::ActiveExpiring {
                expected_deactivation_date,
            } => Some(
                json!({"active": {"action": "relink_required", "cause": "access_expired", "expected_deactivation_date": expected_deactivation_date}}),
            ),
            AccountState::Inactive { cause } => {
                let action = if cause == "account_closed" {
                    "none"
                } else {
                    "relink_required"
                };
                Some(json!({"inactive": {"action": action, "cause": cause}}))
            }
            AccountState::Active | AccountState::Disconnected => None,
        }
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("object".into(), json!("financial_connections.account"));
        m.insert("account_holder".into(), self.account_holder.to_json());
        m.insert("account_numbers".into(), Value::Null);
        m.insert("authorization".into(), json!(self.authorization));
        m.insert("balance".into(), self.balance_json());
        m.insert(
            "balance_refresh".into(),
            refresh_json(self.balance_refresh.as_ref()),
        );
        m.insert("category".into(), json!(self.category));
        m.insert("created".into(), json!(self.created));
        m.insert("display_name".into(), json!(self.display_name));
        m.insert("institution_name".into(), json!(self.institution_name));
        m.insert("last4".into(), json!(self.last4));
        m.insert("livemode".into(), json!(self.livemode));
        m.insert("ownership".into(), json!(self.ownership));
        m.insert(
            "ownership_refresh".into(),
            refresh_json(self.ownership_refresh.as_ref()),
        );
        m.insert("permissions".into(), json!(self.permissions));
        m.insert("status".into(), json!(self.status()));
        if let Some(d) = self.status_details() {
            m.insert("status_details".into(), d);
        }
        m.insert("subcategory".into(), json!(self.subcategory));
        m.insert("subscriptions".into(), json!(self.subscriptions));
        let pm_types = if self.category == "cash" {
            json!(["link", "us_bank_account"])
        } else {
            json!([])
        };
        m.insert("supported_payment_method_types".into(), pm_types);
        m.insert(
            "transaction_refresh".into(),
            self.transaction_refresh_json(),
        );
        Value::Object(m)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct AuthorizationRec {
    pub id: String,
    pub livemode: bool,
    pub account_holder: AccountHolder,
    pub institution_name: String,
    /// `active` or `inactive` (relink required).
    pub active: bool,
}

impl AuthorizationRec {
    pub fn to_json(&self) -> Value {
        let (status, details) = if self.active {
            ("active", json!({}))
        } else {
            (
                "inactive",
                json!({"inactive": {"action": "relink_required"}}),
            )
        };
        json!({
            "id": self.id,
            "object": "financial_connections.authorization",
            "account_holder": self.account_holder.to_json(),
            "institution": Value::Null,
            "institution_name": self.institution_name,
            "livemode": self.livemode,
            "status": status,
            "status_details": details,
        })
    }
}

/// A Stripe list object.
pub(crate) fn list(data: Vec<Value>, has_more: bool, url: &str) -> Value {
    json!({"object": "list", "data": data, "has_more": has_more, "url": url})
}
