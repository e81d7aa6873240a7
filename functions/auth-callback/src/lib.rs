//! auth-callback: the BigCommerce app install callback (`GET /auth`). Implemented with the
//! token-refresh issue.
