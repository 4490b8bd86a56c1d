-- Notifications and the outbox. A notification is written in the transaction of what caused
-- it (a hot lead's first-contact task, a note's mention); its e-mail is an outbox row written
-- in the same transaction, sent by a worker that claims rows (`claim`, `claimed_until`: a
-- claim left by a crashed process expires) and marks each done once the mail server accepted
-- it. Rows about a contact go with the contact (erasure, merge).
create table notifications (
    id blob primary key,
    workspace_id blob not null references workspaces (id) on delete cascade,
    user_id blob not null references users (id) on delete cascade,
    contact_id blob references contacts (id) on delete cascade,
    kind text not null,
    title text not null,
    link text not null,
    created_at integer not null,
    read_at integer,
    constraint notifications_kind_check check (kind in ('hot_lead', 'mention', 'task_assigned'))
);
create index notifications_user_idx on notifications (user_id, created_at);
create index notifications_unread_idx on notifications (user_id) where read_at is null;
create index notifications_contact_idx on notifications (contact_id);

-- A user's choice per kind; a kind without a row is delivered both ways.
create table notification_settings (
    user_id blob not null references users (id) on delete cascade,
    kind text not null,
    delivery text not null,
    constraint notification_settings_key primary key (user_id, kind),
    constraint notification_settings_delivery_check check (delivery in ('in_app', 'email', 'both', 'none'))
);

create table outbox (
    id blob primary key,
    workspace_id blob not null references workspaces (id) on delete cascade,
    contact_id blob references contacts (id) on delete cascade,
    kind text not null,
    payload text not null,
    created_at integer not null,
    next_attempt_at integer not null,
    attempts integer not null default 0,
    claim blob,
    claimed_until integer,
    last_error text,
    done_at integer,
    failed_at integer,
    constraint outbox_kind_check check (kind in ('email'))
);
create index outbox_due_idx on outbox (next_attempt_at) where done_at is null and failed_at is null;
create index outbox_claim_idx on outbox (claim);
create index outbox_contact_idx on outbox (contact_id);
