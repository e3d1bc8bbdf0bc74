use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::standing::ReadNow;
use super::MembersState;
use crate::error::ApiError;
use domain::members::error::AuthError;
use domain::members::ports::MemberSession;
use domain::members::Profile;

/// The signed-in member, loaded fresh: a suspended or erased account is refused at once.
pub struct MemberCaller(pub Profile);

impl FromRequest for MemberCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<MembersState>>().cloned();
        let token = MemberToken::from_request(req, payload).into_inner();
        // The gatekeeper has often just read them.
        let read_now = req.extensions().get::<ReadNow>().cloned();
        Box::pin(async move {
            if let Some(ReadNow(profile)) = read_now {
                return Ok(MemberCaller(Profile::clone(&profile)));
            }
            let state = state.ok_or_else(|| ApiError::internal(&anyhow::anyhow!("MembersState missing")))?;
            Ok(MemberCaller(state.auth.ensure_session(token?.0).await?))
        })
    }
}

/// The member who signed the access token, not yet loaded: for the claim path, whose sold-out and
/// limit answers must not cost a database read. It loads the member itself before writing.
#[derive(Clone, Copy)]
pub struct MemberToken(pub MemberSession);

impl FromRequest for MemberToken {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The gatekeeper has usually verified it already.
        if let Some(known) = req.extensions().get::<MemberToken>() {
            return std::future::ready(Ok(*known));
        }
        let verified = match (req.app_data::<web::Data<MembersState>>(), crate::extract::bearer(req)) {
            (Some(state), Some(token)) => state.auth.verify(&token).map(MemberToken).map_err(ApiError::from),
            (None, _) => Err(ApiError::internal(&anyhow::anyhow!("MembersState missing"))),
            (_, None) => Err(AuthError::InvalidToken.into()),
        };
        std::future::ready(verified)
    }
}
