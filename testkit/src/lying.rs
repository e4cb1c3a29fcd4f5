//! The lying backend: a loopback server (127.0.0.1) that creates a session honestly, handing out
//! secrets shaped like nothing Stripe makes (a report token without `rt_`, a publishable key
//! without `pk_`), then echoes them back in every later answer — the completion report and the
//! account-data calls — in one of [`ECHO_SHAPES`]: behind camelCase names, percent-encoded
//! separators, a tab after `Bearer`, inside JSON arrays, bare. A client passes when none of them
//! reaches an error's `Display` or `Debug`, an event, a log line or a snapshot.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::http::{self, Response};

/// The client secret the lying backend hands out.
pub const LYING_CLIENT_SECRET: &str = "fcsess_1lying_secret_L1ingCLIENTsecretHALF";
/// Its secret half, which the backend also echoes alone.
pub const LYING_SECRET_HALF: &str = "L1ingCLIENTsecretHALF";
/// A publishable key without Stripe's `pk_` prefix.
pub const LYING_PUBLISHABLE_KEY: &str = "pub-L1ingPUBLISHABLEkey";
/// A report token without the `rt_` prefix.
pub const LYING_REPORT_TOKEN: &str = "opaque-L1ingREPORTtoken.42";
/// The user token the tests' header provider sends.
pub const LYING_USER_TOKEN: &str = "user-L1ingBEARERtoken";
/// The session it creates.
pub const LYING_SESSION_ID: &str = "fcsess_1lying";
/// The account every account-data call is about.
pub const LYING_ACCOUNT_ID: &str = "fca_1lying";

/// One way of echoing a secret in an error message. In `template`, `{cs}` is the client secret,
/// `{half}` its secret half, `{pk}` the publishable key, `{rt}` the report token, `{user}` the
/// user's token; `{rt%}` and `{half%}` are the same with every character percent-encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoShape {
    pub name: &'static str,
    pub template: &'static str,
}

const fn shape(name: &'static str, template: &'static str) -> EchoShape {
    EchoShape { name, template }
}

/// Every echo shape the lying backend knows: the ones scrubbers usually miss, and the plain ones.
pub const ECHO_SHAPES: &[EchoShape] = &[
    shape("query", "client_secret={cs}&x=1"),
    shape("bare client secret", "you sent {cs}"),
    shape("json client secret", r#"{"client_secret": "{half}"}"#),
    shape("json report token", r#"{"report_token":"{rt}"}"#),
    shape("api key header", "x-api-key: {user}"),
    shape("bearer space", "Authorization: Bearer {user}"),
    shape("bearer tab", "Authorization: Bearer\t{user}"),
    shape("bearer newline", "Authorization: Bearer\n{user}"),
    shape("bearer folded", "Authorization:\r\n\tBearer   {user}"),
    shape("authorization percent", "authorization%3A%20bearer%20{user}"),
    shape("bearer percent", "bearer%20{user}"),
    shape("bearer form plus", "BEARER+{user}"),
    shape("client secret percent equals", "client_secret%3D{half}"),
    shape("client secret double percent", "client_secret%253D{half}"),
    shape("name percent underscore", "client%5Fsecret%3D{half}"),
    shape("json array", r#"{"access_token": ["{user}"]}"#),
    shape("json array second", r#"{"access_token": ["x", "{user}"]}"#),
    shape("json object", r#"{"refresh_token": {"value": "{user}"}}"#),
    shape("camel client secret", "clientSecret: {half}"),
    shape("camel publishable key", "publishableKey={pk}"),
    shape("camel report token", "reportToken: {rt}"),
    shape("camel report token json", r#""reportToken":"{rt}""#),
    shape(
        "camel long client secret",
        "financialConnectionsSessionClientSecret={half}",
    ),
    shape("kebab report token", "report-token: {rt}"),
    shape("header report token tab", "X-Report-Token:\t{rt}"),
    shape("ruby hash", r#"report_token => "{rt}""#),
    shape("markup", "<reportToken>{rt}</reportToken>"),
    shape("escaped json", r#"\"client_secret\":\"{half}\""#),
    shape("unicode escaped name", r"client\u005fsecret={half}"),
    shape("html entities", "&quot;reportToken&quot;:&quot;{rt}&quot;"),
    shape("json pair array", r#"["client_secret", "{half}"]"#),
    shape("percent json", "reportToken%22%3A%22{rt}%22"),
    shape("bare report token", "token was {rt}, not rt_"),
    shape("percent report token", "t={rt%}"),
    shape("bare secret half", "secret {half}"),
    shape("percent secret half", "{half%}"),
    shape("bare publishable key", "key {pk}"),
    shape("bare user token", "who: {user}"),
    shape(
        "long message, the secret at the cut",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx {rt}",
    ),
    shape("everything at once", "{cs} {pk} {rt} Bearer\t{user}"),
];

fn percent_all(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

impl EchoShape {
    /// The message with the lying backend's secrets in it.
    pub fn render(&self) -> String {
        self.template
            .replace("{rt%}", &percent_all(LYING_REPORT_TOKEN))
            .replace("{half%}", &percent_all(LYING_SECRET_HALF))
            .replace("{cs}", LYING_CLIENT_SECRET)
            .replace("{half}", LYING_SECRET_HALF)
            .replace("{pk}", LYING_PUBLISHABLE_KEY)
            .replace("{rt}", LYING_REPORT_TOKEN)
            .replace("{user}", LYING_USER_TOKEN)
    }
}

/// Which of the contract's error-body forms carries the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorForm {
    /// `{"error": {"code": …, "message": …}}`
    Contract,
    /// `{"error": "…"}`
    Plain,
    /// `{"message": "…"}`
    Message,
}

/// What the lying backend does after the create call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lie {
    /// Every call but the create answers `status` with an error body holding `message`.
    Echo {
        status: u16,
        message: String,
        form: ErrorForm,
    },
    /// Answers honestly, but every answer's `Request-Id` is the report token.
    RequestIdIsTheToken,
    /// The session and the account hold the report token where an object belongs: the decoder's
    /// error names the value it could not read.
    TokenWhereAnObjectBelongs,
}

/// The running lying backend. Stops when dropped.
pub struct LyingBackend {
    port: u16,
    requests: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for LyingBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LyingBackend")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl LyingBackend {
    /// Starts it on `127.0.0.1:0` on the current Tokio runtime.
    pub async fn start(lie: Lie) -> std::io::Result<LyingBackend> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut s, _)) = listener.accept().await {
                let (lie, counter) = (lie.clone(), counter.clone());
                conns.spawn(async move {
                    let Ok(req) = http::read_request(&mut s).await else {
                        return;
                    };
                    counter.fetch_add(1, Ordering::SeqCst);
                    let response = answer(&lie, &req.method, &req.path);
                    let _ = http::write_response(&mut s, &response).await;
                });
                while conns.try_join_next().is_some() {}
            }
        });
        Ok(LyingBackend {
            port,
            requests,
            task,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests read so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Every secret it hands out or echoes, and the user token the tests send.
    pub fn secrets() -> [&'static str; 5] {
        [
            LYING_CLIENT_SECRET,
            LYING_SECRET_HALF,
            LYING_PUBLISHABLE_KEY,
            LYING_REPORT_TOKEN,
            LYING_USER_TOKEN,
        ]
    }
}

impl Drop for LyingBackend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn account(balance: Value) -> Value {
    json!({
        "id": LYING_ACCOUNT_ID, "object": "financial_connections.account", "category": "cash",
        "subcategory": "checking", "status": "active", "institution_name": "Lying Bank",
        "livemode": false, "created": 1, "supported_payment_method_types": [],
        "permissions": ["balances", "ownership", "transactions"], "balance": balance,
    })
}

fn session(accounts: Value) -> Value {
    json!({
        "id": LYING_SESSION_ID, "object": "financial_connections.session", "livemode": false,
        "accounts": accounts, "permissions": ["balances"],
    })
}

fn answer(lie: &Lie, method: &str, path: &str) -> Response {
    if method == "POST" && path == "/financial-connections/sessions" {
        return Response::json(
            200,
            &json!({
                "session_id": LYING_SESSION_ID,
                "client_secret": LYING_CLIENT_SECRET,
                "publishable_key": LYING_PUBLISHABLE_KEY,
                "report_token": LYING_REPORT_TOKEN,
                "livemode": false,
            }),
        );
    }
    let honest = || {
        let list = json!({"object": "list", "has_more": false, "data": [account(Value::Null)]});
        if path.ends_with("/complete") {
            json!({ "session": session(list) })
        } else if path == "/financial-connections/accounts" {
            json!({ "accounts": [account(Value::Null)] })
        } else if path.ends_with("/owners") || path.ends_with("/transactions") {
            json!({"object": "list", "has_more": false, "data": []})
        } else {
            json!({ "account": account(Value::Null) })
        }
    };
    match lie {
        Lie::Echo {
            status,
            message,
            form,
        } => {
            let body = match form {
                ErrorForm::Contract => json!({"error": {"code": "echo", "message": message}}),
                ErrorForm::Plain => json!({ "error": message }),
                ErrorForm::Message => json!({ "message": message }),
            };
            Response::json(*status, &body)
        }
        Lie::RequestIdIsTheToken => {
            Response::json(200, &honest()).with_header("Request-Id", LYING_REPORT_TOKEN)
        }
        Lie::TokenWhereAnObjectBelongs => {
            let body = if path.ends_with("/complete") {
                json!({ "session": session(json!(LYING_REPORT_TOKEN)) })
            } else if path == "/financial-connections/accounts" {
                json!({ "accounts": LYING_REPORT_TOKEN })
            } else {
                json!({ "account": account(json!(LYING_REPORT_TOKEN)) })
            };
            Response::json(200, &body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_carries_a_secret_and_names_are_unique() {
        let mut names: Vec<_> = ECHO_SHAPES.iter().map(|s| s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ECHO_SHAPES.len());
        assert!(ECHO_SHAPES.len() >= 32);
        for s in ECHO_SHAPES {
            let m = s.render();
            for placeholder in [
                "{cs}", "{half}", "{pk}", "{rt}", "{user}", "{rt%}", "{half%}",
            ] {
                assert!(!m.contains(placeholder), "{}: {m}", s.name);
            }
            let holds = LyingBackend::secrets()
                .iter()
                .any(|secret| m.contains(secret) || m.contains(&percent_all(secret)));
            assert!(holds, "{} echoes no secret: {m}", s.name);
        }
        assert!(!LYING_REPORT_TOKEN.starts_with("rt_"));
        assert!(!LYING_PUBLISHABLE_KEY.starts_with("pk_"));
    }
}
