//! Entity ids: one newtype per entity over a time-ordered UUID (v7), so an id of one kind can
//! never be passed where another is meant, and new rows sort by creation.

/// Declares `pub struct $name(pub Uuid)` with `new()` (UUIDv7), `Default`, `Display` and
/// `FromStr`.
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub ::uuid::Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(::uuid::Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    };
}

pub(crate) use uuid_id;

#[cfg(test)]
mod tests {
    uuid_id!(
        /// A test id.
        ThingId
    );

    #[test]
    fn ids_are_time_ordered_and_round_trip_as_text() {
        let (a, b) = (ThingId::new(), ThingId::new());
        assert!(a < b, "v7 ids sort by creation");
        assert_eq!(a.to_string().parse::<ThingId>().unwrap(), a);
        assert!("not-a-uuid".parse::<ThingId>().is_err());
    }
}
