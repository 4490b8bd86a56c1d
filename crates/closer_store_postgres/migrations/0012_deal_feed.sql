-- The deal feed: which deals changed — the deal itself or one of its stage stays — and in
-- which transaction (see 0011 for the journeys' and why a transaction id). Time in stage
-- reads a year's stays, 620,000 in a large workspace; the reports keep them in memory and read
-- only changed deals again.
--
-- One row per deal ever written; a removed deal keeps its row as the news of its removal.
-- A bulk load (`closer demo`, an import) disables these triggers with the others and marks
-- its deals itself.
create table deal_changes (
    deal_id uuid primary key,
    workspace_id uuid not null,
    xid xid8 not null
);
create index deal_changes_xid_idx on deal_changes (workspace_id, xid);

create function deal_changes_record() returns trigger language plpgsql as $$
begin
    insert into deal_changes (deal_id, workspace_id, xid)
    select distinct deal_id, workspace_id, pg_current_xact_id() from changed
    on conflict (deal_id) do update set xid = excluded.xid;
    return null;
end $$;

-- Deals call their id `id`, stays `deal_id`: one function each.
create function deal_changes_record_deals() returns trigger language plpgsql as $$
begin
    insert into deal_changes (deal_id, workspace_id, xid)
    select id, workspace_id, pg_current_xact_id() from changed
    on conflict (deal_id) do update set xid = excluded.xid;
    return null;
end $$;

create trigger deal_changes_insert after insert on deals
    referencing new table as changed for each statement execute function deal_changes_record_deals();
create trigger deal_changes_update after update on deals
    referencing new table as changed for each statement execute function deal_changes_record_deals();
create trigger deal_changes_delete after delete on deals
    referencing old table as changed for each statement execute function deal_changes_record_deals();
create trigger deal_changes_stay_insert after insert on deal_stages
    referencing new table as changed for each statement execute function deal_changes_record();
create trigger deal_changes_stay_update after update on deal_stages
    referencing new table as changed for each statement execute function deal_changes_record();
create trigger deal_changes_stay_delete after delete on deal_stages
    referencing old table as changed for each statement execute function deal_changes_record();
