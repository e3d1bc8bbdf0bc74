//! What the service-window endpoints take and answer.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use domain::services::form::FileType;
use domain::services::model::{CaseState, Category, KindCode};

macro_rules! mirror {
    ($(#[$doc:meta])* $dto:ident => $domain:ty { $($(#[$vdoc:meta])* $v:ident => $dv:path),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
        #[serde(rename_all = "snake_case")]
        pub enum $dto { $($(#[$vdoc])* $v),+ }

        impl From<$dto> for $domain {
            fn from(d: $dto) -> Self {
                match d { $($dto::$v => $dv),+ }
            }
        }

        impl From<$domain> for $dto {
            fn from(d: $domain) -> Self {
                match d { $($dv => $dto::$v),+ }
            }
        }
    };
}

mirror!(ServiceCategory => Category {
    /// A question answered in writing: 法律援助, 就业服务.
    Consultation => Category::Consultation,
    /// A request decided, possibly with money: 困难帮扶, 大病补助, 金秋助学.
    Application => Category::Application,
    /// A complaint answered: about a merchant, a campaign, a union office.
    Complaint => Category::Complaint,
});

mirror!(CaseFileType => FileType {
    Pdf => FileType::Pdf,
    Jpeg => FileType::Jpeg,
    Png => FileType::Png,
});

mirror!(
    /// Where a case is: `submitted` (waiting to be accepted, 受理), `returned` (sent back for missing material; the
    /// clock stops until the member answers), `accepted` (waiting for the answer or decision), `answered`,
    /// `approved`, `refused`, `closed`, `withdrawn`, `reopened` (by a poor follow-up score, for a supervisor).
    CaseStateDto => CaseState {
    Submitted => CaseState::Submitted,
    Returned => CaseState::Returned,
    Accepted => CaseState::Accepted,
    Answered => CaseState::Answered,
    Approved => CaseState::Approved,
    Refused => CaseState::Refused,
    Closed => CaseState::Closed,
    Withdrawn => CaseState::Withdrawn,
    Reopened => CaseState::Reopened,
});

mod case;
mod kind;

pub use case::*;
pub use kind::*;

/// A field of a body that does not hold.
pub(super) fn invalid(field: String, zh: &str, en: impl Into<String>) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        "validation.invalid_field",
        zh.to_owned(),
        "A field is invalid",
    )
    .detail(en.into())
    .with("field", field)
}

/// A `kind` filter of a list: a malformed code is a 422 (a well-formed unknown one matches nothing).
pub fn kind_filter(raw: Option<&str>) -> Result<Option<KindCode>, ApiError> {
    raw.map(|k| {
        KindCode::parse(k).ok_or_else(|| {
            ApiError::from(domain::services::ServiceError::invalid("kind", "类别代码无效", "not a kind's code"))
        })
    })
    .transpose()
}
