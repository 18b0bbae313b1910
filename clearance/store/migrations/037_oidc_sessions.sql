-- 037: OpenID Connect sign-in (issue 16). A back-channel logout names the provider's session
-- (sid) and/or the subject (sub): each OIDC sign-in keeps their hashes (issuer-qualified) beside
-- the 离校通 session it started, so that logout ends exactly those sessions. The authorization
-- code itself is claimed in sso_tickets (protocol 'oidc'), so a replayed code is refused.
CREATE TABLE oidc_sessions (
    token_hash        VARCHAR PRIMARY KEY,
    sid_hash          VARCHAR,
    sub_hash          VARCHAR NOT NULL,
    created_at        TIMESTAMP NOT NULL
);
