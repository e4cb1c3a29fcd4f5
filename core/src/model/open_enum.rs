//! The `open_enum!` macro: string enums that keep the values they do not know.
//!
//! Stripe adds enum values without notice (the spec marks many enums *bypass* or *open*), so a
//! closed Rust enum would turn a harmless server change into a decode failure on every phone in
//! the field. An open enum has one variant per value known today plus `Unknown(String)`, which
//! holds any other value verbatim and writes it back unchanged.
//!
//! The generated (de)serializer works on the plain string: known values are matched without
//! allocating, and nothing is buffered (no `#[serde(untagged)]`).

/// Generates an open string enum.
///
/// ```ignore
/// open_enum! {
///     /// The status of an account.
///     pub enum AccountStatus {
///         /// The account can be used.
///         Active => "active",
///         Disconnected => "disconnected",
///     }
/// }
/// ```
///
/// expands to `pub enum AccountStatus { Active, Disconnected, Unknown(String) }` with:
/// - `KNOWN_VALUES`, the wire strings this version knows, in declaration order;
/// - `as_str()`, `is_unknown()`;
/// - `From<&str>`, `From<String>`, `FromStr` (infallible), `AsRef<str>`, `Display`;
/// - `Serialize`/`Deserialize` as the plain string.
///
/// Build values with `From`/`parse`, not by writing `Unknown("active".into())` by hand: a known
/// string always maps to its named variant, so such a value would not survive a round trip.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident => $value:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        ///
        /// Open enum: values unknown to this version decode to `Unknown` and are written back
        /// unchanged.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[doc = concat!("Wire value `", $value, "`.")]
                $variant,
            )+
            /// A value this version of the crate does not know, kept verbatim.
            Unknown(::std::string::String),
        }

        impl $name {
            /// The wire values this version knows, in declaration order.
            pub const KNOWN_VALUES: &'static [&'static str] = &[$($value),+];

            /// The wire value, exactly as Stripe sent it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)+
                    Self::Unknown(value) => value,
                }
            }

            /// Whether this value is one this version of the crate does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }

            fn known(value: &str) -> ::std::option::Option<Self> {
                match value {
                    $($value => ::std::option::Option::Some(Self::$variant),)+
                    _ => ::std::option::Option::None,
                }
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::known(value).unwrap_or_else(|| Self::Unknown(value.to_owned()))
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                match Self::known(&value) {
                    ::std::option::Option::Some(known) => known,
                    ::std::option::Option::None => Self::Unknown(value),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                ::std::result::Result::Ok(Self::from(value))
            }
        }

        impl ::std::convert::AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                struct OpenEnumVisitor;

                impl ::serde::de::Visitor<'_> for OpenEnumVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a string (", stringify!($name), ")"))
                    }

                    fn visit_str<E: ::serde::de::Error>(
                        self,
                        value: &str,
                    ) -> ::std::result::Result<$name, E> {
                        ::std::result::Result::Ok($name::from(value))
                    }

                    fn visit_string<E: ::serde::de::Error>(
                        self,
                        value: ::std::string::String,
                    ) -> ::std::result::Result<$name, E> {
                        ::std::result::Result::Ok($name::from(value))
                    }
                }

                deserializer.deserialize_str(OpenEnumVisitor)
            }
        }
    };
}

pub(crate) use open_enum;

#[cfg(test)]
mod tests {
    open_enum! {
        /// A test enum.
        pub enum Fruit {
            Apple => "apple",
            /// Documented variant.
            BloodOrange => "blood_orange",
        }
    }

    #[test]
    fn known_values_map_to_variants() {
        assert_eq!(Fruit::from("apple"), Fruit::Apple);
        assert_eq!(Fruit::from("blood_orange".to_owned()), Fruit::BloodOrange);
        assert_eq!("apple".parse::<Fruit>(), Ok(Fruit::Apple));
        assert_eq!(Fruit::KNOWN_VALUES, &["apple", "blood_orange"]);
        assert!(!Fruit::Apple.is_unknown());
    }

    #[test]
    fn unknown_values_are_kept() {
        let fruit = Fruit::from("Durian ");
        assert_eq!(fruit, Fruit::Unknown("Durian ".into()));
        assert!(fruit.is_unknown());
        assert_eq!(fruit.as_str(), "Durian ");
        assert_eq!(fruit.to_string(), "Durian ");
        assert_eq!(format!("[{:>8}]", Fruit::Apple), "[   apple]");
    }

    #[test]
    fn serde_is_the_plain_string_and_unknown_values_round_trip_byte_identical() {
        assert_eq!(
            serde_json::to_string(&Fruit::BloodOrange).unwrap(),
            r#""blood_orange""#
        );
        for raw in [
            r#""apple""#,
            r#""kiwi""#,
            r#""Ünïcødé 🍉""#,
            r#""""#,
            r#""APPLE""#,
        ] {
            let fruit: Fruit = serde_json::from_str(raw).unwrap();
            assert_eq!(serde_json::to_string(&fruit).unwrap(), raw);
        }
        // Escaped input still decodes to the right value.
        let escaped: Fruit = serde_json::from_str(r#""app\u006ce""#).unwrap();
        assert_eq!(escaped, Fruit::Apple);
    }

    #[test]
    fn non_strings_are_rejected() {
        let err = serde_json::from_str::<Fruit>("3").unwrap_err();
        assert!(err.to_string().contains("a string (Fruit)"), "{err}");
        assert!(serde_json::from_str::<Fruit>("null").is_err());
    }
}
