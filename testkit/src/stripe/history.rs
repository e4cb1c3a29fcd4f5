//! Deterministic account data: the owners an ownership refresh finds and the transaction history
//! transaction refreshes create and then change, and their Stripe JSON
//! (`financial_connections.account_owner`, `financial_connections.transaction`).
//!
//! Everything is drawn from a [`generator`] seeded by the simulator's seed, the account id, what
//! is being made and its ordinal (the n-th ownership, the n-th transaction refresh), never from
//! the order of unrelated calls: a refresh that settles a little earlier or later, or another
//! test's account, changes nothing here.

use serde_json::{json, Value};

use crate::ids::IdGen;

/// What a [`generator`] makes (one id stream each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// The n-th ownership of the account and its owners.
    Ownership = 1,
    /// The id of the account's n-th transaction refresh.
    TransactionRefresh = 2,
    /// What the account's n-th transaction refresh adds and changes.
    Transactions = 3,
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The generator of the `n`-th `purpose` of `account` under `seed`.
pub(crate) fn generator(seed: u64, account: &str, purpose: Purpose, n: usize) -> IdGen {
    let stream = fnv1a(account)
        ^ (purpose as u64).rotate_left(40)
        ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    IdGen::new(seed, stream)
}

/// The `status` of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxnStatus {
    Pending,
    Posted,
    Void,
}

impl TxnStatus {
    fn as_str(self) -> &'static str {
        match self {
            TxnStatus::Pending => "pending",
            TxnStatus::Posted => "posted",
            TxnStatus::Void => "void",
        }
    }
}

/// One `financial_connections.transaction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TransactionRec {
    pub id: String,
    pub account: String,
    /// Minor units; negative = money out.
    pub amount: i64,
    pub description: &'static str,
    pub livemode: bool,
    pub status: TxnStatus,
    pub posted_at: Option<i64>,
    pub void_at: Option<i64>,
    pub transacted_at: i64,
    /// The `fctxnref_…` that created or last changed it.
    pub transaction_refresh: String,
    /// Its position in the account's transaction refreshes (for `transaction_refresh[after]`).
    pub refresh_seq: usize,
    pub updated: i64,
}

impl TransactionRec {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "financial_connections.transaction",
            "account": self.account,
            "amount": self.amount,
            "currency": "usd",
            "description": self.description,
            "livemode": self.livemode,
            "status": self.status.as_str(),
            "status_transitions": {"posted_at": self.posted_at, "void_at": self.void_at},
            "transacted_at": self.transacted_at,
            "transaction_refresh": self.transaction_refresh,
            "updated": self.updated,
        })
    }

    fn restamp(&mut self, stamp: &Stamp<'_>) {
        self.transaction_refresh = stamp.refresh.to_string();
        self.refresh_seq = stamp.seq;
        self.updated = stamp.now;
    }
}

/// One `financial_connections.account_owner`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OwnerRec {
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub raw_address: String,
    pub refreshed_at: i64,
    pub ownership: String,
}

impl OwnerRec {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "financial_connections.account_owner",
            "email": self.email,
            "name": self.name,
            "ownership": self.ownership,
            "phone": self.phone,
            "raw_address": self.raw_address,
            "refreshed_at": self.refreshed_at,
        })
    }
}

/// The transaction refresh that is producing transactions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp<'a> {
    pub account: &'a str,
    pub livemode: bool,
    pub refresh: &'a str,
    pub seq: usize,
    pub now: i64,
}

/// Descriptions and amount ranges (cents, `lo..hi`).
const MERCHANTS: &[(&str, i64, i64)] = &[
    ("Rocket Rides", -4_500, -900),
    ("Blue Bottle Coffee", -1_200, -350),
    ("Whole Foods Market", -18_000, -2_500),
    ("Payroll ACME Corp", 150_000, 420_000),
    ("City Electric", -16_000, -6_000),
    ("Netflix", -2_299, -1_549),
    ("Shell", -7_500, -2_500),
    ("Amazon Marketplace", -25_000, -999),
    ("Rent", -260_000, -180_000),
    ("ATM Withdrawal", -20_000, -2_000),
    ("Venmo Transfer", -9_000, -500),
    ("Interest Payment", 10, 900),
];

/// Transactions of a first history are this far apart (8 hours).
const SPACING: i64 = 8 * 3600;
/// How many of a first history's newest transactions are pending.
const FIRST_PENDING: usize = 3;

fn transaction(
    gen: &IdGen,
    stamp: &Stamp<'_>,
    transacted_at: i64,
    status: TxnStatus,
) -> TransactionRec {
    let (description, lo, hi) = MERCHANTS[gen.range(0, MERCHANTS.len() as i64) as usize];
    TransactionRec {
        id: gen.id("fctxn"),
        account: stamp.account.to_string(),
        amount: gen.range(lo, hi),
        description,
        livemode: stamp.livemode,
        status,
        posted_at: (status == TxnStatus::Posted)
            .then_some((transacted_at + 24 * 3600).min(stamp.now)),
        void_at: None,
        transacted_at,
        transaction_refresh: stamp.refresh.to_string(),
        refresh_seq: stamp.seq,
        updated: stamp.now,
    }
}

/// The history the first successful transactions refresh finds: `n` transactions, oldest first,
/// 8 hours apart up to now, the newest 3 `pending` and the rest `posted`.
pub(crate) fn first_history(gen: &IdGen, stamp: &Stamp<'_>, n: usize) -> Vec<TransactionRec> {
    (0..n)
        .map(|i| {
            let at = stamp.now - (n - i) as i64 * SPACING;
            let status = if i + FIRST_PENDING >= n {
                TxnStatus::Pending
            } else {
                TxnStatus::Posted
            };
            transaction(gen, stamp, at, status)
        })
        .collect()
}

/// What a later successful transactions refresh finds: the 2 oldest pending transactions are
/// posted and the next one is voided (as many as are pending), then 2 or 3 new transactions
/// arrive, the newest of them pending. Everything touched carries the new refresh.
pub(crate) fn advance(gen: &IdGen, stamp: &Stamp<'_>, txns: &mut Vec<TransactionRec>) {
    let pending: Vec<usize> = txns
        .iter()
        .enumerate()
        .filter(|(_, t)| t.status == TxnStatus::Pending)
        .map(|(i, _)| i)
        .collect();
    for (k, &i) in pending.iter().take(3).enumerate() {
        let t = &mut txns[i];
        if k < 2 {
            t.status = TxnStatus::Posted;
            t.posted_at = Some(stamp.now);
        } else {
            t.status = TxnStatus::Void;
            t.void_at = Some(stamp.now);
        }
        t.restamp(stamp);
    }
    let count = gen.range(2, 4);
    for j in 0..count {
        let status = if j + 1 == count {
            TxnStatus::Pending
        } else {
            TxnStatus::Posted
        };
        let at = stamp.now - (count - j) * 600;
        txns.push(transaction(gen, stamp, at, status));
    }
}

const FIRST_NAMES: &[&str] = &[
    "Jane", "John", "Maria", "Wei", "Aisha", "Carlos", "Priya", "Noah", "Emma", "Kenji", "Fatima",
    "Liam", "Sofia", "Omar", "Ingrid", "Tomas",
];
const LAST_NAMES: &[&str] = &[
    "Smith", "Doe", "Garcia", "Chen", "Khan", "Rossi", "Patel", "Kim", "Nguyen", "Okafor",
];

/// The `n` owners of `ownership` (distinct names for up to 16 owners).
pub(crate) fn owners(gen: &IdGen, ownership: &str, n: usize, now: i64) -> Vec<OwnerRec> {
    let first0 = gen.range(0, FIRST_NAMES.len() as i64) as usize;
    let last0 = gen.range(0, LAST_NAMES.len() as i64) as usize;
    (0..n)
        .map(|i| {
            let first = FIRST_NAMES[(first0 + i) % FIRST_NAMES.len()];
            let last = LAST_NAMES[(last0 + 3 * i) % LAST_NAMES.len()];
            OwnerRec {
                id: gen.id("fcaown"),
                name: format!("{first} {last}"),
                email: format!(
                    "nobody+{}{}@example.com",
                    first.to_ascii_lowercase(),
                    last.to_ascii_lowercase()
                ),
                phone: format!("+1 555-555-{}", gen.digits(4)),
                raw_address: format!("{} Main Street, Everytown USA", gen.range(1, 999)),
                refreshed_at: now,
                ownership: ownership.to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const STAMP: Stamp<'static> = Stamp {
        account: "fca_1",
        livemode: false,
        refresh: "fctxnref_1",
        seq: 0,
        now: 1_767_225_600,
    };

    fn count(txns: &[TransactionRec], s: TxnStatus) -> usize {
        txns.iter().filter(|t| t.status == s).count()
    }

    #[test]
    fn generators_are_per_seed_account_purpose_and_ordinal() {
        let id = |seed, acct, p, n| generator(seed, acct, p, n).id("x");
        let base = id(7, "fca_1", Purpose::Ownership, 0);
        assert_eq!(base, id(7, "fca_1", Purpose::Ownership, 0));
        assert_ne!(base, id(8, "fca_1", Purpose::Ownership, 0));
        assert_ne!(base, id(7, "fca_2", Purpose::Ownership, 0));
        assert_ne!(base, id(7, "fca_1", Purpose::Transactions, 0));
        assert_ne!(base, id(7, "fca_1", Purpose::Ownership, 1));
    }

    #[test]
    fn a_first_history_is_mostly_posted_with_the_newest_pending() {
        let txns = first_history(
            &generator(1, "fca_1", Purpose::Transactions, 0),
            &STAMP,
            250,
        );
        assert_eq!(txns.len(), 250);
        assert_eq!(count(&txns, TxnStatus::Pending), 3);
        assert!(txns[247..].iter().all(|t| t.status == TxnStatus::Pending));
        assert!(txns
            .windows(2)
            .all(|w| w[0].transacted_at < w[1].transacted_at));
        assert!(txns.iter().all(|t| t.transacted_at < STAMP.now));
        let ids: HashSet<&str> = txns.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids.len(), 250);
        let j = txns[0].to_json();
        assert!(j["id"].as_str().unwrap().starts_with("fctxn_1"));
        assert_eq!(j["id"].as_str().unwrap().len(), "fctxn_".len() + 24);
        assert!(j["status_transitions"]["posted_at"].is_i64());
        assert!(j["status_transitions"]["void_at"].is_null());
        assert!(txns[249].to_json()["status_transitions"]["posted_at"].is_null());
        let again = first_history(
            &generator(1, "fca_1", Purpose::Transactions, 0),
            &STAMP,
            250,
        );
        assert_eq!(txns, again);
    }

    #[test]
    fn advancing_posts_two_voids_one_and_adds_a_pending_one() {
        let mut txns = first_history(&generator(1, "fca_1", Purpose::Transactions, 0), &STAMP, 10);
        let before = txns.clone();
        let next = Stamp {
            refresh: "fctxnref_2",
            seq: 1,
            now: STAMP.now + 100,
            ..STAMP
        };
        advance(
            &generator(1, "fca_1", Purpose::Transactions, 1),
            &next,
            &mut txns,
        );
        let added = txns.len() - before.len();
        assert!((2..=3).contains(&added), "{added}");
        let changed: Vec<&TransactionRec> = txns.iter().filter(|t| t.refresh_seq == 1).collect();
        assert_eq!(changed.len(), added + 3);
        assert_eq!(txns[7].status, TxnStatus::Posted);
        assert_eq!(txns[7].posted_at, Some(next.now));
        assert_eq!(txns[8].status, TxnStatus::Posted);
        assert_eq!(txns[9].status, TxnStatus::Void);
        assert_eq!(txns[9].void_at, Some(next.now));
        assert_eq!(txns[9].posted_at, None);
        assert_eq!(count(&txns, TxnStatus::Pending), 1);
        assert_eq!(txns.last().unwrap().status, TxnStatus::Pending);
        assert!(changed
            .iter()
            .all(|t| t.transaction_refresh == "fctxnref_2" && t.updated == next.now));
        assert_eq!(&txns[..7], &before[..7], "older transactions are untouched");
    }

    #[test]
    fn owners_are_distinct_and_stripe_shaped() {
        let o = owners(
            &generator(1, "fca_1", Purpose::Ownership, 0),
            "fcaowns_1",
            12,
            5,
        );
        let names: HashSet<&str> = o.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names.len(), 12);
        let j = o[0].to_json();
        assert_eq!(j["object"], "financial_connections.account_owner");
        assert_eq!(j["ownership"], "fcaowns_1");
        assert_eq!(j["refreshed_at"], 5);
        assert!(j["id"].as_str().unwrap().starts_with("fcaown_1"));
        assert!(j["email"].as_str().unwrap().ends_with("@example.com"));
    }
}
