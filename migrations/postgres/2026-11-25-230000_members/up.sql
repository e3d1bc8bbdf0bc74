-- Member accounts, refresh-token families and the union's member roster.
-- Phone numbers, names and ID numbers are stored only encrypted (*_cipher) plus a keyed blind
-- index (*_index) for look-ups and uniqueness.

CREATE TABLE members (
    id                     TEXT PRIMARY KEY,
    phone_cipher           TEXT,
    phone_index            TEXT UNIQUE,
    wechat_openid          TEXT UNIQUE,
    wechat_unionid         TEXT,
    nickname               TEXT,
    avatar_url             TEXT,
    email                  TEXT,
    pending_email          TEXT,
    email_code_hash        TEXT,
    email_code_expires_at  TIMESTAMP,
    name_cipher            TEXT,
    name_index             TEXT,
    id_cipher              TEXT,
    id_index               TEXT UNIQUE,
    real_name_at           TIMESTAMP,
    suspension             TEXT,
    consent_version        TEXT,
    consent_at             TIMESTAMP,
    created_at             TIMESTAMP NOT NULL,
    updated_at             TIMESTAMP NOT NULL,
    erased_at              TIMESTAMP
);

CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY,
    member_id   TEXT NOT NULL REFERENCES members (id),
    family_id   TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    rotated_at  TIMESTAMP,
    revoked_at  TIMESTAMP
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_member ON refresh_tokens (member_id);

CREATE TABLE roster (
    id              BIGSERIAL PRIMARY KEY,
    id_index        TEXT NOT NULL UNIQUE,
    name_index      TEXT NOT NULL,
    name_cipher     TEXT NOT NULL,
    id_cipher       TEXT NOT NULL,
    union_org_code  TEXT NOT NULL,
    union_org_name  TEXT NOT NULL,
    member_no       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('active', 'left')),
    updated_at      TIMESTAMP NOT NULL
);
