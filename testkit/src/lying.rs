//! The lying backend: a loopback server for the contract's account-data endpoints that lies the
//! way issue 16's review found backends can — pages far larger than the `limit` asked for, lists
//! that never end, pages that cycle (A, B, A, B…), a `transaction_refresh.id` shaped like a path,
//! CR/LF, 200 KB or a client secret, currency keys that are empty, markup, 10 KB or upper case,
//! and answers so slow that only a deadline on the whole call ends them — and [`LYING_CASES`], the
//! one table the Rust transport (`core/tests/lying_backend.rs`) and the Kotlin transport
//! (`bindings/tests/kotlin/AccountDataTest.kt`, through the FFI's `testing` exports) both run.
//!
//! It serves one account, [`LYING_ACCOUNT_ID`], under the default paths of
//! `docs/backend-contract.md`: `GET …/accounts/{id}`, `POST …/refresh`, `GET …/owners`,
//! `GET …/transactions`. Pages are generated on the fly (a 1,000-page list is never held), item
//! ids encode their page (`fctxn_p3i7`) so `starting_after` finds the next one. The server counts
//! every request per endpoint and the largest `limit` asked, and stops by itself: when dropped,
//! after [`MAX_REQUESTS`] requests, or after [`MAX_LIFETIME`].

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::http::{self, Response};

/// The one account the lying backend serves.
pub const LYING_ACCOUNT_ID: &str = "fca_1lying";
/// The server stops answering after this many requests.
pub const MAX_REQUESTS: usize = 20_000;
/// …and stops listening after this long.
pub const MAX_LIFETIME: Duration = Duration::from_secs(300);

/// A text a lie puts in a field: as is, or `prefix` padded with `a` to `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    Is(&'static str),
    Long { prefix: &'static str, len: usize },
}

impl Text {
    pub fn value(&self) -> String {
        match *self {
            Text::Is(s) => s.to_owned(),
            Text::Long { prefix, len } => {
                let mut s = String::with_capacity(len.max(prefix.len()));
                s.push_str(prefix);
                while s.len() < len {
                    s.push('a');
                }
                s
            }
        }
    }
}

/// How the backend lies. [`HONEST`] is a well-behaved backend with one page of each list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lie {
    /// Items per page whatever `limit` asked; `0`: exactly the `limit`.
    pub page_items: usize,
    /// Pages in each list (`has_more` until the last).
    pub pages: u64,
    /// About how many bytes each item takes (a long description or name pads it).
    pub item_bytes: usize,
    /// Pages alternate A, B, A, B…, each with `has_more`: A's last item leads to B, B's to A.
    pub alternate: bool,
    /// The account's `transaction_refresh.id`: the next sync's cursor.
    pub refresh_id: Text,
    /// The keys of the account's `balance.current`.
    pub currency_keys: &'static [Text],
    /// Every transaction's `currency`.
    pub transaction_currency: &'static str,
    /// Every answer waits this long first.
    pub delay_ms: u64,
    /// The balance refresh stays `pending` for ever.
    pub refresh_never_finishes: bool,
}

/// A backend that tells the truth.
pub const HONEST: Lie = Lie {
    page_items: 0,
    pages: 1,
    item_bytes: 0,
    alternate: false,
    refresh_id: Text::Is("fctxnref_1lying"),
    currency_keys: &[Text::Is("usd")],
    transaction_currency: "usd",
    delay_ms: 0,
    refresh_never_finishes: false,
};

/// The account-data call a case makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataCall {
    /// `FlowClient::account`.
    Account,
    /// `FlowClient::refresh` of the balance.
    Refresh,
    /// `FlowClient::owners`.
    Owners,
    /// `FlowClient::sync_transactions` from no cursor.
    Sync,
}

impl DataCall {
    pub fn as_str(self) -> &'static str {
        match self {
            DataCall::Account => "account",
            DataCall::Refresh => "refresh",
            DataCall::Owners => "owners",
            DataCall::Sync => "sync",
        }
    }
}

/// One row of the lying-backend table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LyingCase {
    pub name: &'static str,
    pub call: DataCall,
    pub lie: Lie,
    /// `None`: the call must succeed; else the public error code (`other`, `timeout`).
    pub expected_error: Option<&'static str>,
    /// A word the error's message must contain (the field named, `limit`, `loop`, …).
    pub message_contains: &'static str,
    /// For a succeeding sync: it must stop at a per-call limit (`has_more`).
    pub expect_has_more: bool,
    /// For a succeeding refresh: the balance is still pending at the deadline.
    pub expect_still_pending: bool,
    /// The most list requests (owners or transactions) the call may send.
    pub max_list_requests: usize,
    /// The call must return within this many milliseconds (no hang, the deadline holds).
    pub max_ms: u64,
    /// The client's per-call deadline (`callDeadlineMs`) and refresh deadline.
    pub call_deadline_ms: u64,
    pub refresh_deadline_ms: u64,
}

const fn case(
    name: &'static str,
    call: DataCall,
    lie: Lie,
    expected_error: Option<&'static str>,
    message_contains: &'static str,
    max_list_requests: usize,
) -> LyingCase {
    LyingCase {
        name,
        call,
        lie,
        expected_error,
        message_contains,
        expect_has_more: false,
        expect_still_pending: false,
        max_list_requests,
        max_ms: 20_000,
        call_deadline_ms: 60_000,
        refresh_deadline_ms: 30_000,
    }
}

/// What the review measured: pages of 1,000 transactions of ~970 bytes (0.97 MB, under the
/// 1 MiB response cap), `has_more` for 1,000 pages.
pub const THOUSAND_PAGES_OF_THOUSAND: Lie = Lie {
    page_items: 1000,
    pages: 1000,
    item_bytes: 970,
    ..HONEST
};

/// Pages of exactly the `limit` asked (100), for 1,000 pages: 100,000 items.
pub const ENDLESS_HONEST_PAGES: Lie = Lie {
    pages: 1000,
    item_bytes: 400,
    ..HONEST
};

/// Pages of 100 items of ~9.7 KB (0.97 MB a page), for 1,000 pages: about 1 GB in all.
pub const ENDLESS_FAT_PAGES: Lie = Lie {
    pages: 1000,
    item_bytes: 9_700,
    ..HONEST
};

const SLOW_MS: u64 = 900;
const SLOW_PAGE_MS: u64 = 300;
const DEADLINE_MS: u64 = 1_000;
/// What a call with a 1 s deadline may take at most: the deadline plus scheduling slack. The
/// slow cases take far longer without a deadline on the whole call (1.8 s for the refresh).
const DEADLINE_BOUND_MS: u64 = 1_400;

/// The table. Each case asserts the typed error (or the bounded success), the most list requests
/// sent, a bound on the call's time, and that the lie's value appears in no error or result.
pub const LYING_CASES: &[LyingCase] = &[
    case(
        "transactions_page_over_the_limit",
        DataCall::Sync,
        THOUSAND_PAGES_OF_THOUSAND,
        Some("other"),
        "limit",
        1,
    ),
    case(
        "owners_page_over_the_limit",
        DataCall::Owners,
        THOUSAND_PAGES_OF_THOUSAND,
        Some("other"),
        "limit",
        1,
    ),
    LyingCase {
        expect_has_more: true,
        ..case(
            "transactions_beyond_the_total_cap",
            DataCall::Sync,
            ENDLESS_HONEST_PAGES,
            None,
            "",
            100,
        )
    },
    LyingCase {
        expect_has_more: true,
        ..case(
            "fat_transactions_beyond_the_byte_cap",
            DataCall::Sync,
            ENDLESS_FAT_PAGES,
            None,
            "",
            8,
        )
    },
    case(
        "owners_beyond_the_total_cap",
        DataCall::Owners,
        ENDLESS_HONEST_PAGES,
        Some("other"),
        "limits",
        100,
    ),
    case(
        "transactions_alternating_pages",
        DataCall::Sync,
        Lie {
            alternate: true,
            ..HONEST
        },
        Some("other"),
        "loop",
        3,
    ),
    case(
        "owners_alternating_pages",
        DataCall::Owners,
        Lie {
            alternate: true,
            ..HONEST
        },
        Some("other"),
        "loop",
        3,
    ),
    case(
        "refresh_id_is_a_path",
        DataCall::Sync,
        Lie {
            refresh_id: Text::Is("../../admin?x=1"),
            ..HONEST
        },
        Some("other"),
        "transaction_refresh.id",
        0,
    ),
    case(
        "refresh_id_with_crlf",
        DataCall::Sync,
        Lie {
            refresh_id: Text::Is("fctxnref_1\r\nX-Injected: 1"),
            ..HONEST
        },
        Some("other"),
        "transaction_refresh.id",
        0,
    ),
    case(
        "refresh_id_of_200_kb",
        DataCall::Sync,
        Lie {
            refresh_id: Text::Long {
                prefix: "fctxnref_",
                len: 200_000,
            },
            ..HONEST
        },
        Some("other"),
        "transaction_refresh.id",
        0,
    ),
    case(
        "refresh_id_is_a_client_secret",
        DataCall::Sync,
        Lie {
            refresh_id: Text::Is("fcsess_1lying_secret_LYINGclientSECRET"),
            ..HONEST
        },
        Some("other"),
        "transaction_refresh.id",
        0,
    ),
    case(
        "refresh_id_on_refresh",
        DataCall::Refresh,
        Lie {
            refresh_id: Text::Is("../../admin?x=1"),
            ..HONEST
        },
        Some("other"),
        "transaction_refresh.id",
        0,
    ),
    case(
        "currency_key_empty",
        DataCall::Account,
        Lie {
            currency_keys: &[Text::Is("")],
            ..HONEST
        },
        Some("other"),
        "balance.current",
        0,
    ),
    case(
        "currency_key_markup",
        DataCall::Account,
        Lie {
            currency_keys: &[Text::Is("../../x\r\n<script>")],
            ..HONEST
        },
        Some("other"),
        "balance.current",
        0,
    ),
    case(
        "currency_key_of_10_kb",
        DataCall::Account,
        Lie {
            currency_keys: &[Text::Long {
                prefix: "usd",
                len: 10_000,
            }],
            ..HONEST
        },
        Some("other"),
        "balance.current",
        0,
    ),
    case(
        "currency_keys_upper_and_lower_case",
        DataCall::Account,
        Lie {
            currency_keys: &[Text::Is("USD"), Text::Is("usd")],
            ..HONEST
        },
        Some("other"),
        "balance.current",
        0,
    ),
    case(
        "transaction_currency_upper_case",
        DataCall::Sync,
        Lie {
            transaction_currency: "USD",
            ..HONEST
        },
        Some("other"),
        "currency",
        1,
    ),
    LyingCase {
        expect_still_pending: true,
        max_ms: DEADLINE_BOUND_MS,
        refresh_deadline_ms: DEADLINE_MS,
        ..case(
            "slow_refresh_polls",
            DataCall::Refresh,
            Lie {
                delay_ms: SLOW_MS,
                refresh_never_finishes: true,
                ..HONEST
            },
            None,
            "",
            0,
        )
    },
    LyingCase {
        max_ms: DEADLINE_BOUND_MS,
        call_deadline_ms: DEADLINE_MS,
        ..case(
            "slow_account",
            DataCall::Account,
            Lie {
                delay_ms: 3 * SLOW_MS,
                ..HONEST
            },
            Some("timeout"),
            "deadline",
            0,
        )
    },
    LyingCase {
        expect_has_more: true,
        max_ms: DEADLINE_BOUND_MS,
        call_deadline_ms: DEADLINE_MS,
        ..case(
            "slow_transaction_pages",
            DataCall::Sync,
            Lie {
                delay_ms: SLOW_PAGE_MS,
                ..ENDLESS_HONEST_PAGES
            },
            None,
            "",
            4,
        )
    },
    LyingCase {
        max_ms: DEADLINE_BOUND_MS,
        call_deadline_ms: DEADLINE_MS,
        ..case(
            "slow_owner_pages",
            DataCall::Owners,
            Lie {
                delay_ms: SLOW_PAGE_MS,
                ..ENDLESS_HONEST_PAGES
            },
            Some("timeout"),
            "deadline",
            4,
        )
    },
];

/// A case by name.
pub fn lying_case(name: &str) -> Option<&'static LyingCase> {
    LYING_CASES.iter().find(|c| c.name == name)
}

impl LyingCase {
    /// The values this case's lie plants that must never reach the app (in an error, a result or
    /// a cursor).
    pub fn planted(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.lie.refresh_id != HONEST.refresh_id {
            v.push(self.lie.refresh_id.value());
        }
        for k in self.lie.currency_keys {
            if !matches!(k, Text::Is("usd")) {
                v.push(k.value());
            }
        }
        v.into_iter().filter(|s| !s.is_empty()).collect()
    }
}

#[derive(Default)]
struct Counters {
    account: AtomicUsize,
    refresh: AtomicUsize,
    owners: AtomicUsize,
    transactions: AtomicUsize,
    other: AtomicUsize,
    max_limit_asked: AtomicU64,
    bytes_served: AtomicU64,
}

/// The running lying backend. Stops when dropped.
pub struct LyingServer {
    port: u16,
    counters: Arc<Counters>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for LyingServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LyingServer")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl LyingServer {
    /// Starts a server telling `lie` on `127.0.0.1`, on the current Tokio runtime.
    pub async fn start(lie: Lie) -> std::io::Result<LyingServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        let task = tokio::spawn(async move {
            let serve = async {
                let mut conns = tokio::task::JoinSet::new();
                let mut served = 0usize;
                while let Ok((s, _)) = listener.accept().await {
                    served += 1;
                    if served > MAX_REQUESTS {
                        break;
                    }
                    let _ = s.set_nodelay(true);
                    conns.spawn(handle(s, lie, c.clone()));
                    while conns.try_join_next().is_some() {}
                }
            };
            let _ = tokio::time::timeout(MAX_LIFETIME, serve).await;
        });
        Ok(LyingServer {
            port,
            counters,
            task,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests to `endpoint`: `account`, `refresh`, `owners`, `transactions` (else unrouted).
    pub fn requests(&self, endpoint: &str) -> usize {
        let c = &self.counters;
        match endpoint {
            "account" => &c.account,
            "refresh" => &c.refresh,
            "owners" => &c.owners,
            "transactions" => &c.transactions,
            _ => &c.other,
        }
        .load(Ordering::SeqCst)
    }

    /// The largest `limit=` a list request asked for (0: none asked).
    pub fn max_limit_asked(&self) -> u64 {
        self.counters.max_limit_asked.load(Ordering::SeqCst)
    }

    /// Body bytes written in all.
    pub fn bytes_served(&self) -> u64 {
        self.counters.bytes_served.load(Ordering::SeqCst)
    }
}

impl Drop for LyingServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(mut s: tokio::net::TcpStream, lie: Lie, c: Arc<Counters>) {
    let Ok(req) = http::read_request(&mut s).await else {
        return;
    };
    let segments = req.segments();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let query = req.query();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let limit = param("limit").and_then(|l| l.parse::<u64>().ok());
    if let Some(l) = limit {
        c.max_limit_asked.fetch_max(l, Ordering::SeqCst);
    }
    let after = param("starting_after");
    let body = match (req.method.as_str(), seg.as_slice()) {
        ("GET", ["financial-connections", "accounts", id]) if *id == LYING_ACCOUNT_ID => {
            c.account.fetch_add(1, Ordering::SeqCst);
            Some(account(&lie))
        }
        ("POST", ["financial-connections", "accounts", id, "refresh"])
            if *id == LYING_ACCOUNT_ID =>
        {
            c.refresh.fetch_add(1, Ordering::SeqCst);
            Some(account(&lie))
        }
        ("GET", ["financial-connections", "accounts", id, "owners"]) if *id == LYING_ACCOUNT_ID => {
            c.owners.fetch_add(1, Ordering::SeqCst);
            Some(page(&lie, Kind::Owner, limit, after.as_deref()))
        }
        ("GET", ["financial-connections", "accounts", id, "transactions"])
            if *id == LYING_ACCOUNT_ID =>
        {
            c.transactions.fetch_add(1, Ordering::SeqCst);
            Some(page(&lie, Kind::Transaction, limit, after.as_deref()))
        }
        _ => {
            c.other.fetch_add(1, Ordering::SeqCst);
            None
        }
    };
    if lie.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(lie.delay_ms)).await;
    }
    let resp = match body {
        Some(body) => Response {
            status: 200,
            headers: vec![("Request-Id".into(), "req_lying".into())],
            body: body.into_bytes(),
        },
        None => Response::json(
            404,
            &json!({"error": {"code": "not_found", "message": "the lying backend serves one account"}}),
        ),
    };
    c.bytes_served
        .fetch_add(resp.body.len() as u64, Ordering::SeqCst);
    let _ = http::write_response(&mut s, &resp).await;
}

fn account(lie: &Lie) -> String {
    let mut current = serde_json::Map::new();
    for (i, k) in lie.currency_keys.iter().enumerate() {
        current.insert(k.value(), json!(1000 + i as i64));
    }
    let balance_refresh = if lie.refresh_never_finishes {
        json!({"status": "pending", "last_attempted_at": 1})
    } else {
        json!({"status": "succeeded", "last_attempted_at": 1})
    };
    json!({"account": {
        "id": LYING_ACCOUNT_ID, "object": "financial_connections.account", "livemode": false,
        "created": 1, "institution_name": "Lying Bank", "category": "cash",
        "subcategory": "checking", "status": "active", "last4": "6789",
        "supported_payment_method_types": [],
        "permissions": ["balances", "ownership", "transactions"],
        "authorization": "fcauth_1lying", "ownership": "fcaowns_1lying",
        "ownership_refresh": {"status": "succeeded", "last_attempted_at": 1},
        "balance_refresh": balance_refresh,
        "transaction_refresh": {"id": lie.refresh_id.value(), "status": "succeeded", "last_attempted_at": 1},
        "balance": {"as_of": 1, "type": "cash", "current": current},
    }})
    .to_string()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Owner,
    Transaction,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Owner => "fcaown_",
            Kind::Transaction => "fctxn_",
        }
    }
}

/// Which page `starting_after` asks for: `p<k>i<j>` → page k+1; `a…`/`b…` alternate.
fn page_after(kind: Kind, after: Option<&str>) -> (u64, bool) {
    let Some(rest) = after.and_then(|a| a.strip_prefix(kind.prefix())) else {
        return (0, false);
    };
    if rest.starts_with('a') {
        return (0, true);
    }
    let page = rest
        .strip_prefix('p')
        .and_then(|r| r.split('i').next())
        .and_then(|n| n.parse::<u64>().ok())
        .map_or(0, |n| n + 1);
    (page, false)
}

fn page(lie: &Lie, kind: Kind, limit: Option<u64>, after: Option<&str>) -> String {
    let (index, after_a) = page_after(kind, after);
    let n = if lie.page_items > 0 {
        lie.page_items
    } else {
        limit.unwrap_or(10).clamp(1, 100) as usize
    };
    let (tag, has_more) = if lie.alternate {
        (
            if after_a {
                "b".to_owned()
            } else {
                "a".to_owned()
            },
            true,
        )
    } else {
        (format!("p{index}"), index + 1 < lie.pages)
    };
    let pad = "x".repeat(lie.item_bytes.saturating_sub(330));
    let mut out = String::with_capacity(n * (lie.item_bytes.max(330) + 16) + 128);
    out.push_str(r#"{"object":"list","data":["#);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let id = format!("{}{tag}i{i}", kind.prefix());
        match kind {
            Kind::Transaction => out.push_str(
                &json!({
                    "id": id, "object": "financial_connections.transaction", "livemode": false,
                    "account": LYING_ACCOUNT_ID, "amount": -1234, "currency": lie.transaction_currency,
                    "description": format!("Lying Bank purchase {pad}"), "status": "posted",
                    "status_transitions": {"posted_at": 2, "void_at": null},
                    "transacted_at": 1_700_000_000 - i as i64, "transaction_refresh": "fctxnref_1lying",
                    "updated": 1_700_000_000,
                })
                .to_string(),
            ),
            Kind::Owner => out.push_str(
                &json!({
                    "id": id, "object": "financial_connections.account_owner",
                    "name": format!("Owner {pad}"), "ownership": "fcaowns_1lying",
                    "email": "owner@example.com", "phone": "+15555550100",
                    "raw_address": "1 Lying Street", "refreshed_at": 1,
                })
                .to_string(),
            ),
        }
    }
    out.push_str(&format!(r#"],"has_more":{has_more},"url":"/lying"}}"#));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_names_are_unique_and_each_lie_is_covered() {
        let mut names: Vec<_> = LYING_CASES.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), LYING_CASES.len());
        assert!(LYING_CASES.iter().any(|c| c.lie.page_items > 100));
        assert!(LYING_CASES.iter().any(|c| c.lie.alternate));
        assert!(LYING_CASES.iter().any(|c| c.lie.delay_ms > 0));
        assert!(lying_case("slow_refresh_polls").is_some());
        assert!(lying_case("refresh_id_of_200_kb").unwrap().planted()[0].len() == 200_000);
    }

    #[test]
    fn pages_follow_their_cursor_and_have_the_size_asked() {
        let honest = Lie { pages: 3, ..HONEST };
        let first: serde_json::Value =
            serde_json::from_str(&page(&honest, Kind::Transaction, Some(100), None)).unwrap();
        assert_eq!(first["data"].as_array().unwrap().len(), 100);
        assert_eq!(first["has_more"], true);
        let last = first["data"][99]["id"].as_str().unwrap();
        assert_eq!(last, "fctxn_p0i99");
        let third: serde_json::Value = serde_json::from_str(&page(
            &honest,
            Kind::Transaction,
            Some(100),
            Some("fctxn_p1i99"),
        ))
        .unwrap();
        assert_eq!(third["has_more"], false);
        let big = page(
            &THOUSAND_PAGES_OF_THOUSAND,
            Kind::Transaction,
            Some(100),
            None,
        );
        assert!(
            (900_000..1_048_576).contains(&big.len()),
            "{} bytes: under the 1 MiB cap",
            big.len()
        );
        let fat = page(&ENDLESS_FAT_PAGES, Kind::Transaction, Some(100), None);
        assert!((900_000..1_048_576).contains(&fat.len()), "{}", fat.len());
        // A, B, A…
        let alt = Lie {
            alternate: true,
            ..HONEST
        };
        let a: serde_json::Value =
            serde_json::from_str(&page(&alt, Kind::Owner, Some(100), None)).unwrap();
        let a_last = a["data"][99]["id"].as_str().unwrap().to_owned();
        let b: serde_json::Value =
            serde_json::from_str(&page(&alt, Kind::Owner, Some(100), Some(&a_last))).unwrap();
        let b_last = b["data"][99]["id"].as_str().unwrap().to_owned();
        assert_ne!(a_last, b_last);
        let again: serde_json::Value =
            serde_json::from_str(&page(&alt, Kind::Owner, Some(100), Some(&b_last))).unwrap();
        assert_eq!(again["data"][99]["id"].as_str().unwrap(), a_last);
    }
}
