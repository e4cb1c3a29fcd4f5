//! The account-data half of `fc demo --scenario data` / `data-inactive`: for every linked
//! account, refresh balance, ownership and transactions (waiting for the simulator's asynchronous
//! refreshes), read the owners, sync every transaction, and compare with what the simulated
//! Stripe holds. Prints a table, and the `account_data` entries of the `--json` line.

use std::collections::BTreeMap;

use finconn_client::flow::FlowClient;
use finconn_core::data::{AccountAction, BalanceView, DataFeature, FeatureOutcome};
use finconn_core::model::Account;
use finconn_testkit::Simulator;
use serde::Serialize;

/// One entry of `account_data`, in the documented field order.
#[derive(Serialize)]
pub struct AccountDataJson {
    id: String,
    balance: Option<BalanceJson>,
    owners: Vec<String>,
    transactions: usize,
    transactions_at_backend: usize,
    /// Pages the sync read (an account with more than 100 transactions needs several).
    transaction_pages: u32,
    refresh: RefreshJson,
    relink_required: bool,
}

#[derive(Serialize)]
struct BalanceJson {
    as_of: i64,
    #[serde(rename = "type")]
    type_: String,
    current: BTreeMap<String, i64>,
    available: Option<BTreeMap<String, i64>>,
}

#[derive(Serialize)]
struct RefreshJson {
    balance: &'static str,
    ownership: &'static str,
    transactions: &'static str,
}

fn amounts(m: &[finconn_core::data::Money]) -> BTreeMap<String, i64> {
    m.iter()
        .map(|m| (m.currency.clone(), m.amount_minor))
        .collect()
}

/// `12.34 USD` from minor units (two decimals; the demo's currencies all have cents).
fn shown(m: &[finconn_core::data::Money]) -> String {
    m.iter()
        .map(|m| {
            let sign = if m.amount_minor < 0 { "-" } else { "" };
            let abs = m.amount_minor.unsigned_abs();
            format!(
                "{sign}{}.{:02} {}",
                abs / 100,
                abs % 100,
                m.currency.to_uppercase()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Refresh, owners and transactions of every account; the JSON entries and whether everything
/// matched what the scenario promises.
pub async fn run(
    client: &FlowClient,
    sim: &Simulator,
    accounts: &[Account],
    expect_inactive: bool,
) -> Result<(Vec<AccountDataJson>, bool), String> {
    let mut out = Vec::new();
    let mut ok = !accounts.is_empty();
    let mut paged = false;
    println!();
    println!("Account data");
    for a in accounts {
        let report = client
            .refresh(&a.id, &DataFeature::GENERALLY_AVAILABLE)
            .await
            .map_err(|e| format!("refresh {}: {e}", a.id))?;
        let outcome = |f: DataFeature| {
            report
                .features
                .iter()
                .find(|x| x.feature == f)
                .map(|x| x.outcome.as_str())
                .unwrap_or("not_asked")
        };
        let owners = client
            .owners(&a.id)
            .await
            .map_err(|e| format!("owners {}: {e}", a.id))?;
        let sync = client
            .sync_transactions(&a.id, None)
            .await
            .map_err(|e| format!("transactions {}: {e}", a.id))?;
        let held = sim.transactions_held(&a.id);
        let relink_required = matches!(report.action, Some(AccountAction::RelinkRequired { .. }));
        let balance = report.account.balance.as_ref().map(BalanceView::from);
        println!("  {}  ({})", a.display_line(), a.id);
        match &balance {
            Some(b) => println!(
                "    balance ({}): current {}{}",
                b.balance_type,
                shown(&b.current),
                b.available
                    .as_ref()
                    .map(|v| format!(", available {}", shown(v)))
                    .unwrap_or_default()
            ),
            None => println!("    balance: none"),
        }
        println!(
            "    refresh: balance {}, ownership {}, transactions {}{}",
            outcome(DataFeature::Balances),
            outcome(DataFeature::Ownership),
            outcome(DataFeature::Transactions),
            if relink_required {
                "  ⚠ relink required"
            } else {
                ""
            }
        );
        let names: Vec<String> = owners.owners.iter().map(|o| o.name.clone()).collect();
        println!("    owners ({}): {}", names.len(), names.join(", "));
        println!(
            "    transactions: {} synced in {} page(s), {} at the backend",
            sync.transactions.len(),
            sync.pages,
            held
        );
        for t in sync.transactions.iter().take(3) {
            println!(
                "      {:<28} {:>12}  {}",
                t.description,
                shown(&[finconn_core::data::Money {
                    amount_minor: t.amount,
                    currency: t.currency.clone(),
                }]),
                t.status.as_str()
            );
        }
        paged |= sync.pages > 1;
        let features_ok = report.features.iter().all(|f| {
            if expect_inactive {
                f.outcome == FeatureOutcome::Failed
            } else {
                f.outcome == FeatureOutcome::Succeeded
            }
        });
        ok &= features_ok
            && relink_required == expect_inactive
            && sync.transactions.len() == held
            && (balance.is_none() || !expect_inactive);
        out.push(AccountDataJson {
            id: a.id.clone(),
            balance: balance.as_ref().map(|b| BalanceJson {
                as_of: b.as_of_unix_seconds,
                type_: b.balance_type.clone(),
                current: amounts(&b.current),
                available: b.available.as_deref().map(amounts),
            }),
            owners: names,
            transactions: sync.transactions.len(),
            transactions_at_backend: held,
            transaction_pages: sync.pages,
            refresh: RefreshJson {
                balance: outcome(DataFeature::Balances),
                ownership: outcome(DataFeature::Ownership),
                transactions: outcome(DataFeature::Transactions),
            },
            relink_required,
        });
    }
    if !expect_inactive {
        ok &= paged;
    }
    Ok((out, ok))
}
