//! The in-memory Stripe's records (session, account, authorization) and their rendering as the
//! exact JSON Stripe sends: `financial_connections.session`, `financial_connections.account`,
//! `financial_connections.authorization`, list objects. Shapes follow Stripe's OpenAPI spec and
//! fixtures (GA fields, plus the private-preview `authorization`, `relink_*` and `status`).

use serde_json::{json, Map, Value};

use super::{AccountHolder, RelinkOptions};

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
    /// Balance in cents (positive: owed to the holder) and when it was read; `None` when
    /// balances were not prefetched.
    pub balance: Option<(i64, i64)>,
    pub ownership: Option<(String, i64)>,
    pub transaction_refresh: Option<(String, i64)>,
    pub state: AccountState,
}

fn refresh(at: i64) -> Value {
    json!({"last_attempted_at": at, "next_refresh_available_at": at + 3600, "status": "succeeded"})
}

impl AccountRec {
    pub fn status(&self) -> &'static str {
        match self.state {
            AccountState::Active | AccountState::ActiveExpiring { .. } => "active",
            AccountState::Inactive { .. } => "inactive",
            AccountState::Disconnected => "disconnected",
        }
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("object".into(), json!("financial_connections.account"));
        m.insert("account_holder".into(), self.account_holder.to_json());
        m.insert("account_numbers".into(), Value::Null);
        m.insert("authorization".into(), json!(self.authorization));
        let (balance, balance_refresh) = match self.balance {
            None => (Value::Null, Value::Null),
            Some((amount, at)) => {
                let b = if self.category == "credit" {
                    json!({"as_of": at, "credit": {"used": {"usd": amount}}, "current": {"usd": -amount}, "type": "credit"})
                } else {
                    json!({"as_of": at, "cash": {"available": {"usd": amount}}, "current": {"usd": amount}, "type": "cash"})
                };
                (b, refresh(at))
            }
        };
        m.insert("balance".into(), balance);
        m.insert("balance_refresh".into(), balance_refresh);
        m.insert("category".into(), json!(self.category));
        m.insert("created".into(), json!(self.created));
        m.insert("display_name".into(), json!(self.display_name));
        m.insert("institution_name".into(), json!(self.institution_name));
        m.insert("last4".into(), json!(self.last4));
        m.insert("livemode".into(), json!(self.livemode));
        let (ownership, ownership_refresh) = match &self.ownership {
            None => (Value::Null, Value::Null),
            Some((id, at)) => (json!(id), refresh(*at)),
        };
        m.insert("ownership".into(), ownership);
        m.insert("ownership_refresh".into(), ownership_refresh);
        m.insert("permissions".into(), json!(self.permissions));
        m.insert("status".into(), json!(self.status()));
        match &self.state {
            AccountState::ActiveExpiring {
                expected_deactivation_date,
            } => {
                m.insert(
                    "status_details".into(),
                    json!({"active": {"action": "relink_required", "cause": "access_expired", "expected_deactivation_date": expected_deactivation_date}}),
                );
            }
            AccountState::Inactive { cause } => {
                let action = if cause == "account_closed" {
                    "none"
                } else {
                    "relink_required"
                };
                m.insert(
                    "status_details".into(),
                    json!({"inactive": {"action": action, "cause": cause}}),
                );
            }
            AccountState::Active | AccountState::Disconnected => {}
        }
        m.insert("subcategory".into(), json!(self.subcategory));
        m.insert(
            "subscriptions".into(),
            if self.transaction_refresh.is_some() {
                json!(["transactions"])
            } else {
                json!([])
            },
        );
        let pm_types = if self.category == "cash" {
            json!(["link", "us_bank_account"])
        } else {
            json!([])
        };
        m.insert("supported_payment_method_types".into(), pm_types);
        let tr = match &self.transaction_refresh {
            None => Value::Null,
            Some((id, at)) => {
                let mut r = refresh(*at);
                r["id"] = json!(id);
                r
            }
        };
        m.insert("transaction_refresh".into(), tr);
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
