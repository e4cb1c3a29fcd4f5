//! Benchmarks of the typed decoders against `serde_json::from_slice::<serde_json::Value>` of the
//! same bytes (the typed decode should cost no more than building a generic JSON tree):
//! `finconn_core::model::decode_session` on a session with 100 realistic accounts (balances,
//! refreshes, status details, account numbers, an expanded ownership on some), and a page of 100
//! `financial_connections.transaction` (what one `syncTransactions` page reads).
//!
//! Run: `cargo bench -p finconn-core --bench decode -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use finconn_core::model::{decode_session, List, Transaction};
use serde_json::{json, Value};

const ACCOUNTS: usize = 100;

fn account(i: usize) -> Value {
    let credit = i % 4 == 3;
    let (category, subcategory, balance_type) = if credit {
        ("credit", "credit_card", "credit")
    } else if i.is_multiple_of(2) {
        ("cash", "checking", "cash")
    } else {
        ("cash", "savings", "cash")
    };
    let amount = 10_000 + i64::try_from(i).unwrap() * 137;
    let mut balance = json!({
        "as_of": 1_721_954_068,
        "current": {"usd": if credit { -amount } else { amount }},
        "type": balance_type,
    });
    balance[balance_type] = if credit {
        json!({"used": {"usd": amount}})
    } else {
        json!({"available": {"usd": amount - 500}})
    };
    let ownership = if i.is_multiple_of(10) {
        json!({
            "id": format!("fcaowns_1Pgc76B7WZ01zgkW{i:08}"),
            "object": "financial_connections.account_ownership",
            "created": 1_721_954_068,
            "owners": {
                "object": "list",
                "data": [{
                    "id": format!("fcaown_1Pgc76B7WZ01zgkW{i:08}"),
                    "object": "financial_connections.account_owner",
                    "name": "Jane Smith",
                    "email": "jane.smith@example.com",
                    "phone": "+1 555-555-5555",
                    "raw_address": "123 Main Street, Everytown USA",
                    "ownership": format!("fcaowns_1Pgc76B7WZ01zgkW{i:08}"),
                    "refreshed_at": 1_721_954_068,
                }],
                "has_more": false,
                "url": "/v1/financial_connections/accounts/fca_x/owners",
            },
        })
    } else {
        json!(format!("fcaowns_1Pgc76B7WZ01zgkW{i:08}"))
    };
    let status_details = if i.is_multiple_of(7) {
        json!({"active": {
            "action": "relink_required",
            "cause": "access_expired",
            "expected_deactivation_date": 1_735_689_600,
        }})
    } else {
        json!({"active": {"action": "none", "cause": "unspecified", "expected_deactivation_date": 0}})
    };
    json!({
        "id": format!("fca_1Pgc76B7WZ01zgkW{i:08}"),
        "object": "financial_connections.account",
        "account_holder": {"customer": "cus_QXg1o8vcGmoR32", "type": "customer"},
        "account_numbers": [{
            "expected_expiry_date": null,
            "identifier_type": "account_number",
            "status": "transactable",
            "supported_networks": ["ach"],
        }],
        "balance": balance,
        "balance_refresh": {
            "last_attempted_at": 1_721_954_068,
            "next_refresh_available_at": 1_721_957_668,
            "status": "succeeded",
        },
        "category": category,
        "created": 1_721_954_000 + i64::try_from(i).unwrap(),
        "display_name": format!("Everyday {subcategory} {i}"),
        "institution_name": "StripeBank",
        "last4": format!("{:04}", 1000 + i),
        "livemode": true,
        "ownership": ownership,
        "ownership_refresh": {
            "last_attempted_at": 1_721_954_068,
            "next_refresh_available_at": null,
            "status": "pending",
        },
        "permissions": ["balances", "ownership", "payment_method", "transactions"],
        "status": "active",
        "status_details": status_details,
        "subcategory": subcategory,
        "subscriptions": ["transactions"],
        "supported_payment_method_types": ["us_bank_account", "link"],
        "transaction_refresh": {
            "id": format!("fctxnref_QXhWc2Trdr6epyWG{i:08}"),
            "last_attempted_at": 1_721_954_068,
            "next_refresh_available_at": 1_721_957_668,
            "status": "succeeded",
        },
        "authorization": "fcauth_1Pgc76B7WZ01zgkWAuth0001",
        "institution": "fcinst_NMvn2kVF4FQQk3",
    })
}

fn session_bytes() -> Vec<u8> {
    let session = json!({
        "id": "fcsess_1Pgc76B7WZ01zgkWnYmFk7mZ",
        "object": "financial_connections.session",
        "account_holder": {"customer": "cus_QXg1o8vcGmoR32", "type": "customer"},
        "accounts": {
            "object": "list",
            "data": (0..ACCOUNTS).map(account).collect::<Vec<_>>(),
            "has_more": false,
            "url": "/v1/financial_connections/accounts",
        },
        "client_secret": "fcsess_client_secret_5Jz1ZbTq0hVxQ5i8cW9dYx3r",
        "filters": {"account_subcategories": ["checking", "savings", "credit_card"], "countries": ["US"]},
        "livemode": true,
        "permissions": ["balances", "ownership", "payment_method", "transactions"],
        "prefetch": ["balances", "ownership"],
        "return_url": "https://example.com/fc-return",
    });
    serde_json::to_vec(&session).expect("encodes")
}

/// A page of 100 transactions as the backend's `…/transactions` answers it (Stripe's shape, with
/// the preview's classification and enrichment on some, a mix of pending, posted and void).
fn transactions_bytes() -> Vec<u8> {
    let txn = |i: usize| {
        let (status, transitions) = match i % 10 {
            0 => ("pending", json!({"posted_at": null, "void_at": null})),
            1 => ("void", json!({"posted_at": null, "void_at": 1_721_990_000})),
            _ => (
                "posted",
                json!({"posted_at": 1_721_980_000 + i, "void_at": null}),
            ),
        };
        let mut t = json!({
            "id": format!("fctxn_1PgcB7B7WZ01zgkW{i:08}"),
            "object": "financial_connections.transaction",
            "account": "fca_1Pgc76B7WZ01zgkWqlYVCIub",
            "amount": -1_000 - i64::try_from(i).unwrap() * 37,
            "currency": "usd",
            "description": format!("CARD PURCHASE {i} WHOLE FOODS MARKET #10{i}"),
            "livemode": true,
            "status": status,
            "status_transitions": transitions,
            "transacted_at": 1_721_900_000 + i,
            "transaction_refresh": "fctxnref_QXhWc2Trdr6epyWG00000007",
            "updated": 1_721_990_000 + i,
        });
        if i.is_multiple_of(3) {
            t["enrichments"] =
                json!({"merchant": {"confidence_level": "high", "name": "Whole Foods Market"}});
        }
        t
    };
    let page = json!({
        "object": "list",
        "data": (0..100).map(txn).collect::<Vec<_>>(),
        "has_more": true,
        "url": "/v1/financial_connections/transactions",
    });
    serde_json::to_vec(&page).expect("encodes")
}

fn bench_transactions(c: &mut Criterion) {
    let bytes = transactions_bytes();
    let page: List<Transaction> = serde_json::from_slice(&bytes).expect("the bench page decodes");
    assert_eq!(page.len(), 100);
    let mut group = c.benchmark_group("transactions_page_100");
    group.throughput(Throughput::Bytes(u64::try_from(bytes.len()).unwrap()));
    group.bench_function("decode_transactions", |b| {
        b.iter(|| serde_json::from_slice::<List<Transaction>>(black_box(&bytes)).unwrap())
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&bytes)).unwrap())
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    let bytes = session_bytes();
    let session = decode_session(&bytes).expect("the bench session decodes");
    assert_eq!(session.accounts.len(), ACCOUNTS);

    let mut group = c.benchmark_group("session_100_accounts");
    group.throughput(Throughput::Bytes(u64::try_from(bytes.len()).unwrap()));
    group.bench_function("decode_session", |b| {
        b.iter(|| decode_session(black_box(&bytes)).unwrap())
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&bytes)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench, bench_transactions);
criterion_main!(benches);
