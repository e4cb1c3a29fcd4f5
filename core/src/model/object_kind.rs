//! What kind of Financial Connections object a JSON value is, told from its `object` name or its
//! id prefix, legacy ones included (`link_account_session`, `linked_account`, `las_`, `la_`). The
//! one copy of those names: each model type's `OBJECT` constant is its kind's [`ObjectKind::canonical`].

/// The object types [`decode_object`](super::decode_object) knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ObjectKind {
    Session,
    Account,
    AccountOwner,
    AccountOwnership,
    Transaction,
    Authorization,
    Institution,
    AccountInferredBalance,
    List,
}

impl ObjectKind {
    const ALL: [ObjectKind; 9] = [
        ObjectKind::Session,
        ObjectKind::Account,
        ObjectKind::AccountOwner,
        ObjectKind::AccountOwnership,
        ObjectKind::Transaction,
        ObjectKind::Authorization,
        ObjectKind::Institution,
        ObjectKind::AccountInferredBalance,
        ObjectKind::List,
    ];

    /// The `object` value Stripe sends today for this kind.
    pub(crate) const fn canonical(self) -> &'static str {
        match self {
            ObjectKind::Session => "financial_connections.session",
            ObjectKind::Account => "financial_connections.account",
            ObjectKind::AccountOwner => "financial_connections.account_owner",
            ObjectKind::AccountOwnership => "financial_connections.account_ownership",
            ObjectKind::Transaction => "financial_connections.transaction",
            ObjectKind::Authorization => "financial_connections.authorization",
            ObjectKind::Institution => "financial_connections.institution",
            ObjectKind::AccountInferredBalance => "financial_connections.account_inferred_balance",
            ObjectKind::List => "list",
        }
    }

    /// From an `object` value, including legacy names.
    pub(crate) fn from_object_name(name: &str) -> Option<Self> {
        match name {
            "link_account_session" => Some(ObjectKind::Session),
            "linked_account" => Some(ObjectKind::Account),
            _ => Self::ALL.into_iter().find(|k| k.canonical() == name),
        }
    }

    /// From an id prefix, including legacy ones.
    pub(crate) fn from_id(id: &str) -> Option<Self> {
        const PREFIXES: &[(&str, ObjectKind)] = &[
            ("fcsess_", ObjectKind::Session),
            ("las_", ObjectKind::Session),
            ("fca_", ObjectKind::Account),
            ("la_", ObjectKind::Account),
            ("fcaown_", ObjectKind::AccountOwner),
            ("fcaowns_", ObjectKind::AccountOwnership),
            ("fctxn_", ObjectKind::Transaction),
            ("fcauth_", ObjectKind::Authorization),
            ("fcinst_", ObjectKind::Institution),
        ];
        PREFIXES
            .iter()
            .find(|(prefix, _)| id.starts_with(prefix))
            .map(|&(_, kind)| kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_found_again_from_its_canonical_name() {
        for kind in ObjectKind::ALL {
            assert_eq!(ObjectKind::from_object_name(kind.canonical()), Some(kind));
        }
        assert_eq!(
            ObjectKind::from_object_name("linked_account"),
            Some(ObjectKind::Account)
        );
        assert_eq!(
            ObjectKind::from_object_name("financial_connections.sessio"),
            None
        );
        assert_eq!(
            ObjectKind::from_id("fcaowns_1"),
            Some(ObjectKind::AccountOwnership)
        );
        assert_eq!(
            ObjectKind::from_id("fcaown_1"),
            Some(ObjectKind::AccountOwner)
        );
        assert_eq!(ObjectKind::from_id("xfca_1"), None);
    }
}
