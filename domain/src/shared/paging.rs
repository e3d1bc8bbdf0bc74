use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

/// How many items a page may hold: 1 to 100, 20 when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u16);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PagingError {
    #[error("limit must be between 1 and {max}")]
    Limit { max: u16 },
    #[error("cursor is not one this server issued")]
    Cursor,
}

impl Limit {
    pub const MAX: u16 = 100;
    pub const DEFAULT: Limit = Limit(20);
    /// The largest page, for walking a whole list (a member's data export).
    pub const LARGEST: Limit = Limit(Self::MAX);

    pub fn parse(n: Option<i64>) -> Result<Self, PagingError> {
        match n {
            None => Ok(Self::DEFAULT),
            Some(n) if (1..=i64::from(Self::MAX)).contains(&n) => Ok(Self(n as u16)),
            Some(_) => Err(PagingError::Limit { max: Self::MAX }),
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// An opaque position in a list ordered by a numeric key, newest first. Clients get it as a string and
/// hand it back unchanged; its encoding is ours to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(i64);

impl Cursor {
    pub fn after(key: i64) -> Self {
        Self(key)
    }

    pub fn key(self) -> i64 {
        self.0
    }

    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("k:{}", self.0))
    }

    pub fn decode(raw: &str) -> Result<Self, PagingError> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| PagingError::Cursor)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| PagingError::Cursor)?;
        let key = text.strip_prefix("k:").ok_or(PagingError::Cursor)?;
        key.parse().map(Self).map_err(|_| PagingError::Cursor)
    }
}

/// A position in a list ordered by a time-ordered id (UUIDv7), newest first: the id of the last
/// item seen, opaque to clients like [`Cursor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdCursor(pub uuid::Uuid);

impl IdCursor {
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("i:{}", self.0.simple()))
    }

    pub fn decode(raw: &str) -> Result<Self, PagingError> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| PagingError::Cursor)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| PagingError::Cursor)?;
        let id = text.strip_prefix("i:").ok_or(PagingError::Cursor)?;
        uuid::Uuid::try_parse(id).map(Self).map_err(|_| PagingError::Cursor)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: Limit,
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> Result<Self, PagingError> {
        Ok(Self { limit: Limit::parse(limit)?, after: cursor.map(Cursor::decode).transpose()? })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in order: the extra row only says there is more.
    pub fn from_overfetch(mut rows: Vec<T>, limit: Limit, key: impl Fn(&T) -> i64) -> Self {
        let more = rows.len() > usize::from(limit.get());
        rows.truncate(usize::from(limit.get()));
        let next = if more { rows.last().map(|r| Cursor::after(key(r))) } else { None };
        Self { items: rows, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}

/// A position in a list ordered by two numeric keys (a deadline, then arrival).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairCursor(pub i64, pub i64);

impl PairCursor {
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("p:{}:{}", self.0, self.1))
    }

    pub fn decode(raw: &str) -> Result<Self, PagingError> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| PagingError::Cursor)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| PagingError::Cursor)?;
        let (a, b) = text.strip_prefix("p:").and_then(|t| t.split_once(':')).ok_or(PagingError::Cursor)?;
        Ok(Self(a.parse().map_err(|_| PagingError::Cursor)?, b.parse().map_err(|_| PagingError::Cursor)?))
    }
}

/// A page cut at a [`PairCursor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairPage<T> {
    pub items: Vec<T>,
    pub next: Option<PairCursor>,
}

impl<T> PairPage<T> {
    pub fn from_overfetch(mut rows: Vec<T>, limit: Limit, key: impl Fn(&T) -> (i64, i64)) -> Self {
        let more = rows.len() > usize::from(limit.get());
        rows.truncate(usize::from(limit.get()));
        let next = if more {
            rows.last().map(|r| {
                let (a, b) = key(r);
                PairCursor(a, b)
            })
        } else {
            None
        };
        Self { items: rows, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_cursors_round_trip_and_reject_garbage() {
        let c = IdCursor(uuid::Uuid::from_u128(0x0193_a2c4_7f1e_7cc2_9a51_3f0c_1d2e_4b5a));
        assert_eq!(IdCursor::decode(&c.encode()), Ok(c));
        for bad in ["", "!!", &Cursor::after(3).encode(), &URL_SAFE_NO_PAD.encode("i:xyz")] {
            assert_eq!(IdCursor::decode(bad), Err(PagingError::Cursor), "{bad:?}");
        }
    }

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor::after(42);
        assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        for bad in ["", "!!", "eHl6", &URL_SAFE_NO_PAD.encode("k:x")] {
            assert_eq!(Cursor::decode(bad), Err(PagingError::Cursor), "{bad:?}");
        }
    }

    #[test]
    fn pair_cursors_round_trip_and_reject_garbage() {
        let c = PairCursor(1_700_000_000, -3);
        assert_eq!(PairCursor::decode(&c.encode()), Ok(c));
        for bad in
            ["", "!!", &Cursor::after(3).encode(), &URL_SAFE_NO_PAD.encode("p:1"), &URL_SAFE_NO_PAD.encode("p:a:2")]
        {
            assert_eq!(PairCursor::decode(bad), Err(PagingError::Cursor), "{bad:?}");
        }
    }

    #[test]
    fn limit_bounds() {
        assert_eq!(Limit::parse(None), Ok(Limit::DEFAULT));
        assert_eq!(Limit::parse(Some(100)).map(Limit::get), Ok(100));
        assert!(Limit::parse(Some(0)).is_err());
        assert!(Limit::parse(Some(101)).is_err());
    }

    #[test]
    fn overfetch_sets_next_only_when_more_rows_exist() {
        let limit = Limit::parse(Some(2)).unwrap();
        let page = Page::from_overfetch(vec![9, 8, 7], limit, |n| *n);
        assert_eq!(page.items, vec![9, 8]);
        assert_eq!(page.next, Some(Cursor::after(8)));
        let last = Page::from_overfetch(vec![6, 5], limit, |n| *n);
        assert_eq!(last.next, None);
    }
}
