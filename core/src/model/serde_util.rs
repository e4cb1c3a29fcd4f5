//! Small serde helpers shared by the model types.

use std::fmt::{self, Write as _};

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// Decodes `null` as the type's default, for fields the spec says are never null (arrays, lists)
/// but which a tolerant client should still accept as empty.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// Decodes `T` from serde's buffer of an internally tagged enum (use it as the `deserialize_with`
/// of a field of such an enum) by way of JSON text: the buffered value is written out as JSON
/// (keys in their order, repeated keys kept), then read with `serde_json::from_slice`.
///
/// The result is the same as decoding from the buffer directly, and so is an error's message (its
/// position is the outer deserializer's, as it would be), for anything serde_json read from text
/// (a `Value` built in Rust may also hold a float serde_json never reads, see `json_float`, or
/// nest deeper than serde_json's limit of 128). The point is size: decoding a type from
/// another deserializer is a second copy of all the decoding code of the type and of everything
/// it holds (for `Session`, over 100 KB of the mobile library); through text, the one copy that
/// reads JSON serves every path. See also [`from_json_value`].
pub(crate) fn from_json_text<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let mut text = String::new();
    Transcode(&mut text).deserialize(deserializer)?;
    read(&text, Buffer::Tagged).map_err(de::Error::custom)
}

/// `T::deserialize(value)`, by way of JSON text, for the same reason and with the same result as
/// [`from_json_text`].
pub(crate) fn from_json_value<T: DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, serde_json::Error> {
    let mut text = String::new();
    Transcode(&mut text).deserialize(value)?;
    read(&text, Buffer::Value).map_err(de::Error::custom)
}

/// What the text was written from: where they differ, the messages are those it would give.
#[derive(Clone, Copy)]
enum Buffer {
    /// serde's buffer of an internally tagged enum.
    Tagged,
    /// A `serde_json::Value`.
    Value,
}

/// Reads `T` from `text`; an error is the message alone, without its position (in `text`, which
/// the caller never saw).
fn read<T: DeserializeOwned>(text: &str, buffer: Buffer) -> Result<T, String> {
    serde_json::from_slice(text.as_bytes()).map_err(|err| {
        let message = err.to_string();
        let position = format!(" at line {} column {}", err.line(), err.column());
        let message = message.strip_suffix(&position).unwrap_or(&message);
        match message {
            // A reader that left elements of a sequence or map: serde_json stops at the first one
            // left, the buffers tell the lengths. The text is one line: the column is the byte.
            "trailing characters" | "trailing comma" => err
                .column()
                .checked_sub(1)
                .and_then(|at| elements_left(text, at, buffer)),
            _ => None,
        }
        .unwrap_or_else(|| message.to_owned())
    })
}

/// The message of `buffer` for the sequence or map that encloses byte `at` of `text`, whose reader
/// stopped before the element or entry at `at`.
fn elements_left(text: &str, at: usize, buffer: Buffer) -> Option<String> {
    struct Open {
        map: bool,
        start: usize,
        commas_before: usize,
        commas: usize,
    }
    let bytes = text.as_bytes();
    let mut open: Vec<Open> = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => open.push(Open {
                map: b == b'{',
                start: i,
                commas_before: 0,
                commas: 0,
            }),
            b',' => {
                let top = open.last_mut()?;
                top.commas += 1;
                if i < at {
                    top.commas_before += 1;
                }
            }
            b']' | b'}' => {
                let closed = open.pop()?;
                // The innermost one around `at` is the first to close.
                if closed.start < at && at < i {
                    let len = closed.commas + 1;
                    // A sequence stops at the next element (after its comma), a map at the comma
                    // after the last entry read (or at the first key).
                    let read = match (closed.map, bytes[at]) {
                        (false, _) => closed.commas_before,
                        (true, b',') => closed.commas_before + 1,
                        (true, _) => 0,
                    };
                    let kind = if closed.map { "map" } else { "sequence" };
                    return Some(match buffer {
                        Buffer::Tagged if read == 1 => {
                            format!("invalid length {len}, expected 1 element in {kind}")
                        }
                        Buffer::Tagged => {
                            format!("invalid length {len}, expected {read} elements in {kind}")
                        }
                        Buffer::Value => {
                            let kind = if closed.map { "map" } else { "array" };
                            format!("invalid length {len}, expected fewer elements in {kind}")
                        }
                    });
                }
            }
            _ => {}
        }
    }
    None
}

/// `v` as a JSON number that `serde_json` reads back as exactly `v`.
///
/// Usually its shortest form. But serde_json's parser (without its `float_roundtrip` feature) is
/// not correctly rounded, and the number it once read as `v` may have had more digits: then
/// `v` is written as `<significand>e<exponent>`, the text serde_json itself reduces every number
/// to (a 64-bit significand), found by bisection since the value read only grows with the
/// significand. A float serde_json never reads (possible only in a `Value` built in Rust) is
/// written in its shortest form, and read back as the nearest float serde_json reads.
fn json_float(v: f64) -> String {
    let Some(shortest) = serde_json::Number::from_f64(v).map(|n| n.to_string()) else {
        return "null".into(); // as serde_json writes a float that is not finite
    };
    let parse =
        |text: &str| serde_json::from_slice::<f64>(text.as_bytes()).unwrap_or(f64::INFINITY);
    if parse(&shortest).to_bits() == v.to_bits() {
        return shortest;
    }
    let magnitude = v.abs();
    let sign = if v.is_sign_negative() { "-" } else { "" };
    let top = magnitude.log10().floor() as i32;
    for exponent in (top - 20)..=(top + 1) {
        let at = |significand: u64| parse(&format!("{significand}e{exponent}"));
        if at(u64::MAX) < magnitude {
            continue;
        }
        // The smallest significand that reads as `magnitude` or more.
        let (mut low, mut high) = (0, u64::MAX);
        while low < high {
            let middle = low + (high - low) / 2;
            if at(middle) >= magnitude {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        if at(low).to_bits() == magnitude.to_bits() {
            return format!("{sign}{low}e{exponent}");
        }
    }
    shortest
}

/// Writes the JSON value it is given to the string, as JSON.
struct Transcode<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for Transcode<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Transcode<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.0.push_str(if v { "true" } else { "false" });
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        let _ = write!(self.0, "{v}");
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        let _ = write!(self.0, "{v}");
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.0.push_str(&json_float(v));
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0
            .push_str(&serde_json::to_string(v).map_err(E::custom)?);
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.push_str("null");
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let out = self.0;
        out.push('[');
        let mut first = true;
        loop {
            let mark = out.len();
            if !first {
                out.push(',');
            }
            if seq.next_element_seed(Transcode(&mut *out))?.is_none() {
                out.truncate(mark);
                break;
            }
            first = false;
        }
        out.push(']');
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.0;
        out.push('{');
        let mut first = true;
        while let Some(key) = map.next_key::<String>()? {
            if !first {
                out.push(',');
            }
            first = false;
            Transcode(&mut *out).visit_str::<A::Error>(&key)?;
            out.push(':');
            map.next_value_seed(Transcode(&mut *out))?;
        }
        out.push('}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    #[derive(Debug, PartialEq, Deserialize)]
    struct Inner {
        id: String,
        #[serde(default)]
        n: u32,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        nested: Option<Box<Inner>>,
        #[serde(default)]
        extra: Option<Value>,
        #[serde(default)]
        ratio: Option<f64>,
        #[serde(default)]
        big: Option<i64>,
        #[serde(default)]
        first: Option<First>,
    }

    /// Reads only the first element of a sequence or the first entry of a map.
    #[derive(Debug, PartialEq)]
    struct First(Option<Value>);

    impl<'de> Deserialize<'de> for First {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct FirstVisitor;

            impl<'de> Visitor<'de> for FirstVisitor {
                type Value = First;

                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a sequence or a map")
                }

                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<First, A::Error> {
                    seq.next_element().map(First)
                }

                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<First, A::Error> {
                    Ok(First(map.next_entry::<String, Value>()?.map(|(_, v)| v)))
                }
            }

            deserializer.deserialize_any(FirstVisitor)
        }
    }

    /// Decodes `inner` the way serde does in an internally tagged enum: from its buffer.
    #[derive(Debug, Deserialize)]
    #[serde(tag = "kind")]
    enum Direct {
        A {
            #[serde(default)]
            inner: Option<Box<Inner>>,
        },
    }

    /// The same, through JSON text.
    #[derive(Debug, Deserialize)]
    #[serde(tag = "kind")]
    enum ViaText {
        A {
            #[serde(default, deserialize_with = "from_json_text")]
            inner: Option<Box<Inner>>,
        },
    }

    const INNER: &[&str] = &[
        r#"null"#,
        r#"{"id":"a"}"#,
        r#"{"id":"a","n":7,"tags":["x","y"],"nested":{"id":"b","nested":null},
            "extra":{"z":[1,-2,3.5,true,null,"s",{"k":{}}],"a":[],"b":{}}}"#,
        r#"{"n":1,"extra":{"b":1,"a":2},"unknown":[{"x":[]}],"id":"a"}"#,
        r#"{"id":"\u00e9\ud83d\ude00\n\t\"\\\/\u0000\u001f"}"#,
        r#"{"id":"a","id":"b"}"#,
        r#"{"id":"a","nested":{"id":"b","n":1,"n":2}}"#,
        r#"{"id":"a","extra":{"k":1,"k":2}}"#,
        r#"{"id":5}"#,
        r#"{"id":null}"#,
        r#"{"id":"a","n":-1}"#,
        r#"{"id":"a","n":1.5}"#,
        r#"{"id":"a","n":4294967296}"#,
        r#"{"id":"a","n":"7"}"#,
        r#"{"id":"a","n":null}"#,
        r#"{"id":"a","tags":"x"}"#,
        r#"{"id":"a","tags":[1]}"#,
        r#"{"id":"a","tags":{"0":"x"}}"#,
        r#"{"id":"a","nested":5}"#,
        r#"{"id":"a","nested":[]}"#,
        r#"{"id":"a","nested":{"n":1}}"#,
        r#"5"#,
        r#"-5"#,
        r#""s""#,
        r#"true"#,
        r#"[]"#,
        r#"["a",1]"#,
        r#"["a",1,[],null,null,null,null]"#,
        r#"["a",1,[],null,null,null,null,8]"#,
        r#"{}"#,
        r#"{"id":"a","ratio":0.30000000000000004}"#,
        r#"{"id":"a","ratio":1e300}"#,
        r#"{"id":"a","ratio":-0.0}"#,
        r#"{"id":"a","ratio":5}"#,
        r#"{"id":"a","ratio":-5}"#,
        r#"{"id":"a","ratio":2.2250738585072014e-308}"#,
        r#"{"id":"a","ratio":123456789012345678901234567890}"#,
        r#"{"id":"a","big":-9223372036854775808}"#,
        r#"{"id":"a","big":18446744073709551615}"#,
        r#"{"id":"a","big":1.0}"#,
        r#"{"id":"a","extra":18446744073709551615}"#,
        r#"{"id":"a","extra":-9223372036854775808}"#,
        r#"{"id":"a","extra":1.7976931348623157e308}"#,
        r#"{"id":"a","extra":[[[[[]]]]]}"#,
        r#"{"id":"a","first":[]}"#,
        r#"{"id":"a","first":[1]}"#,
        r#"{"id":"a","first":[1,2]}"#,
        r#"{"id":"a","first":[{"x":"]"},[2,3],"\"],"]}"#,
        r#"{"id":"a","first":{}}"#,
        r#"{"id":"a","first":{"a":1}}"#,
        r#"{"id":"a","first":{"a":[1,2],"b":{"c":3}}}"#,
        r#"{"id":"a","first":{"a,}":1,"b":2,"c":3}}"#,
        r#"{"id":"a","nested":{"id":"b","first":[[1,2],3,4]}}"#,
        r#"{"id":"a","tags":["x"],"nested":["b",1,[],null,null,null,null,{},8,9]}"#,
    ];

    fn direct(doc: &str) -> String {
        format!(
            "{:?}",
            serde_json::from_str::<Direct>(doc).map(|Direct::A { inner }| inner)
        )
    }

    fn via_text(doc: &str) -> String {
        format!(
            "{:?}",
            serde_json::from_str::<ViaText>(doc).map(|ViaText::A { inner }| inner)
        )
    }

    #[test]
    fn through_text_as_through_the_buffer_of_a_tagged_enum() {
        for inner in INNER {
            for doc in [
                format!(r#"{{"kind":"A","inner":{inner}}}"#),
                format!(r#"{{"inner":{inner},"x":[1],"kind":"A"}}"#),
                format!("{{\n \"inner\": {inner},\n \"kind\": \"A\"\n}}"),
            ] {
                assert_eq!(via_text(&doc), direct(&doc), "{doc}");
            }
        }
    }

    #[test]
    fn through_text_as_from_a_value() {
        for inner in INNER {
            let value: Value = serde_json::from_str(inner).unwrap();
            let direct = format!("{:?}", Inner::deserialize(value.clone()));
            let via_text = format!("{:?}", from_json_value::<Inner>(value));
            assert_eq!(via_text, direct, "{inner}");
        }
    }

    proptest! {
        #[test]
        fn through_text_keeps_every_number(bits in any::<u64>(), n in any::<i64>()) {
            let f = f64::from_bits(bits);
            prop_assume!(f.is_finite());
            for number in [format!("{f:e}"), format!("{f}"), format!("{n}"), format!("{}", n as u64)] {
                for field in ["ratio", "extra", "big"] {
                    let doc = format!(r#"{{"kind":"A","inner":{{"id":"a","{field}":{number}}}}}"#);
                    prop_assert_eq!(via_text(&doc), direct(&doc), "{}", doc);
                }
            }
        }
    }

    /// `value` with, in turn, every value inside it replaced by values of other types, and every
    /// key of every object removed.
    fn mutations(value: &Value) -> Vec<Value> {
        let replacements = [
            json!(null),
            json!(true),
            json!(-1),
            json!(4294967296_u64),
            json!(1.5),
            json!("x"),
            json!([]),
            json!({}),
            json!([1, "a", {}]),
            json!({"id": "x", "object": "bank_account"}),
        ];
        let mut out: Vec<Value> = replacements.to_vec();
        let inner = |child: &Value, put: &mut dyn FnMut(Option<Value>)| {
            for mutated in mutations(child) {
                put(Some(mutated));
            }
            put(None);
        };
        match value {
            Value::Object(map) => {
                for key in map.keys() {
                    inner(&map[key], &mut |child| {
                        let mut copy = map.clone();
                        match child {
                            Some(child) => copy.insert(key.clone(), child),
                            None => copy.remove(key),
                        };
                        out.push(Value::Object(copy));
                    });
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    inner(item, &mut |child| {
                        let mut copy = items.clone();
                        match child {
                            Some(child) => copy[i] = child,
                            None => {
                                copy.remove(i);
                            }
                        }
                        out.push(Value::Array(copy));
                    });
                }
            }
            _ => {}
        }
        out
    }

    fn fixture(path: &str) -> Option<Value> {
        let path = format!(
            "{}/../testdata/stripe-fixtures/{path}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"));
        // One iOS fixture is not valid JSON (trailing commas) on purpose.
        serde_json::from_slice(&bytes).ok()
    }

    /// A snapshot's sheet outcome as serde decodes an internally tagged enum without
    /// `from_json_text`: the session from serde's buffer.
    #[derive(Debug, Deserialize)]
    #[serde(tag = "outcome", rename_all = "snake_case")]
    enum BufferedSheet {
        Completed {
            #[serde(default)]
            session: Option<Box<crate::model::Session>>,
        },
    }

    #[derive(Debug, Deserialize)]
    struct Snapshot<T> {
        #[serde(default)]
        version: u32,
        sheet_outcome: T,
    }

    #[test]
    fn a_sheet_session_decodes_as_from_serdes_buffer() {
        use crate::reconcile::SheetOutcome;
        let mut sessions: Vec<Value> = [
            "openapi/session.json",
            "openapi/private_preview/session.json",
            "sdk/android_linked_account_session_complete.json",
            "sdk/android_linked_account_session_new_accounts_key.json",
            "sdk/android_linked_account_session_with_token.json",
            "sdk/ios_FinancialConnectionsSession_all_account_fields.json",
            "sdk/ios_FinancialConnectionsSession_relink.json",
            "sdk/ios_FinancialConnectionsSession_relink_failure_inline_test.json",
            "sdk/ios_FinancialConnectionsSession_relink_options_only.json",
        ]
        .iter()
        .filter_map(|path| fixture(path))
        .collect();
        assert!(sessions.len() >= 8, "fixtures missing");
        // A payment account of each kind, with floats where serde_json keeps any JSON.
        let mut account = fixture("openapi/account.json").unwrap();
        account["account_holder"]["customer"] = json!({"id": "cus_1", "f": [0.1, 2.5e-300]});
        let bank = json!({"id": "ba_1", "object": "bank_account", "last4": "6789", "x": 1e300});
        for payment_account in [account, bank] {
            let mut session = sessions[0].clone();
            session["payment_account"] = payment_account;
            sessions.push(session);
        }
        let mut checked = 0;
        for session in &sessions {
            let text = session.to_string();
            let mut documents: Vec<String> = mutations(session)
                .iter()
                .chain([session])
                .map(Value::to_string)
                .collect();
            // Keys twice, which a `Value` cannot hold.
            documents.push(text.replacen('{', r#"{"id":"fcsess_2","#, 1));
            documents.push(text.replacen(r#""object":"#, r#""object":"x","object":"#, 2));
            documents.push(text.replacen(r#""object":"#, r#""livemode":1,"object":"#, 3));
            for session in documents {
                let doc = format!(
                    "{{\"version\": 1,\n \"sheet_outcome\": {{\"outcome\": \"completed\", \"session\": {session}}}}}"
                );
                let buffered =
                    serde_json::from_str::<Snapshot<BufferedSheet>>(&doc).map(|s| {
                        match s.sheet_outcome {
                            BufferedSheet::Completed { session } => (s.version, session),
                        }
                    });
                let through_text = serde_json::from_str::<Snapshot<SheetOutcome>>(&doc).map(|s| {
                    match s.sheet_outcome {
                        SheetOutcome::Completed { session } => (s.version, session),
                        other => panic!("{other:?}"),
                    }
                });
                assert_eq!(
                    format!("{through_text:?}"),
                    format!("{buffered:?}"),
                    "{doc}"
                );
                checked += 1;
            }
        }
        assert!(checked > 1000, "{checked}");
    }

    #[test]
    fn a_payment_account_decodes_as_from_its_value() {
        use crate::model::{Account, BankAccount};
        let mut accounts: Vec<Value> = [
            "openapi/account.json",
            "openapi/private_preview/account.json",
        ]
        .iter()
        .filter_map(|path| fixture(path))
        .collect();
        for path in [
            "sdk/android_linked_account_session_complete.json",
            "sdk/android_linked_account_session_new_accounts_key.json",
            "sdk/android_linked_account_session_with_token.json",
        ] {
            let session = fixture(path).unwrap();
            if session["payment_account"].is_object() {
                accounts.push(session["payment_account"].clone());
            }
            for key in ["accounts", "linked_accounts"] {
                if let Some(data) = session[key]["data"].as_array() {
                    accounts.extend(data.iter().cloned());
                }
            }
        }
        assert!(accounts.len() >= 3, "fixtures missing: {}", accounts.len());
        let mut checked = 0;
        for account in &accounts {
            for value in mutations(account).into_iter().chain([account.clone()]) {
                let direct = format!("{:?}", Account::deserialize(value.clone()));
                let through_text = format!("{:?}", from_json_value::<Account>(value.clone()));
                assert_eq!(through_text, direct, "{value}");
                let direct = format!("{:?}", BankAccount::deserialize(value.clone()));
                let through_text = format!("{:?}", from_json_value::<BankAccount>(value.clone()));
                assert_eq!(through_text, direct, "{value}");
                checked += 1;
            }
        }
        assert!(checked > 1000, "{checked}");
    }
}
