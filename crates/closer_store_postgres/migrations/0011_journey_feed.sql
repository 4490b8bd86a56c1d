-- The journey feed: which contacts' journeys changed, and in which transaction.
--
-- Each closer process keeps its workspaces' journeys in memory for the reports (a year's
-- funnel at a million contacts was a scan of the whole table per report). It reads the table
-- once, then before each report only the journeys changed since. Sequences are not
-- transactional — a change numbered 7 may commit after one numbered 8 was read — so each
-- change carries its transaction's id instead. A reader notes the oldest transaction still
-- running when it starts (`pg_snapshot_xmin`) and next time reads every change from that
-- transaction on: whatever it could not see then was written by a transaction at least that
-- new. A change may be read twice; none is missed.
--
-- One row per contact ever in `journeys`; a removed journey (an erased contact) keeps its row
-- as the news of its removal, and nothing else of it. Statement triggers with transition
-- tables: a bulk load or a rescore that writes a million journeys records them in one
-- statement, not a million.
create table journey_changes (
    contact_id uuid primary key,
    workspace_id uuid not null,
    xid xid8 not null
);
create index journey_changes_xid_idx on journey_changes (workspace_id, xid);

create function journey_changes_record() returns trigger language plpgsql as $$
begin
    insert into journey_changes (contact_id, workspace_id, xid)
    select contact_id, workspace_id, pg_current_xact_id() from changed
    on conflict (contact_id) do update set xid = excluded.xid, workspace_id = excluded.workspace_id;
    return null;
end $$;

create trigger journey_changes_insert after insert on journeys
    referencing new table as changed for each statement execute function journey_changes_record();
create trigger journey_changes_update after update on journeys
    referencing new table as changed for each statement execute function journey_changes_record();
create trigger journey_changes_delete after delete on journeys
    referencing old table as changed for each statement execute function journey_changes_record();
