-- closer web app: users' passwords and sign-in state, browser sessions and invite links. Only hashes are
-- stored: an argon2 PHC string for a password, the SHA-256 of a session's or invite's secret.

alter table users add column password_hash text;
alter table users add column failed_sign_ins integer not null default 0;
alter table users add column locked_until integer;

create index users_email_idx on users (email);

create table web_sessions (
    id text primary key,
    workspace_id blob not null references workspaces (id) on delete cascade,
    user_id blob not null references users (id) on delete cascade,
    csrf text not null,
    created_at integer not null,
    expires_at integer not null
);

create index web_sessions_user_idx on web_sessions (user_id);

-- One-time links that let a user set their first password (7 days).
create table user_invites (
    id text primary key,
    workspace_id blob not null references workspaces (id) on delete cascade,
    user_id blob not null references users (id) on delete cascade,
    created_at integer not null,
    expires_at integer not null
);

create index user_invites_user_idx on user_invites (user_id);

-- Hot contacts, for the queue and the contacts list's hot filter. Partial: a rescore writes a
-- million score records, and only the few hot ones cost an index write (0004 dropped the
-- full workspace index for that reason).
create index contact_scores_hot_idx on contact_scores (workspace_id, updated_at) where temperature = 'hot';

-- What the dashboard's cache compares: the newest change to contacts, deals and orders.
create index deals_updated_idx on deals (workspace_id, updated_at);
create index orders_created_idx on orders (workspace_id, created_at);
