-- Possible duplicates: pairs of contacts that may be one person, for someone to merge or
-- dismiss. A capture or import whose email is one contact's and whose phone is another's is
-- stored on the first and records the pair (the phone stays with its holder); two contacts
-- of the same name at the same company are found by a scan of the contacts changed since
-- the last one (`duplicate_scans`). A pair is kept in id order; it goes with either
-- contact (a merge, an erasure). A dismissed pair stays, so it is not found again.
create table possible_duplicates (
    workspace_id blob not null references workspaces (id) on delete cascade,
    contact_a blob not null references contacts (id) on delete cascade,
    contact_b blob not null references contacts (id) on delete cascade,
    reason text not null,
    found_at integer not null,
    dismissed_at integer,
    constraint possible_duplicates_key primary key (workspace_id, contact_a, contact_b),
    constraint possible_duplicates_order_check check (contact_a < contact_b),
    constraint possible_duplicates_reason_check check (reason in ('shared_identity', 'name_at_company'))
);
create index possible_duplicates_b_idx on possible_duplicates (contact_b);
create index possible_duplicates_found_idx on possible_duplicates (workspace_id, found_at);

create table duplicate_scans (
    workspace_id blob primary key references workspaces (id) on delete cascade,
    scanned_to integer not null
);
