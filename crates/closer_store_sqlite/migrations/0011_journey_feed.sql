-- The journey feed: which contacts' journeys changed, in the order they changed.
--
-- Each closer process keeps its workspaces' journeys in memory for the reports (a year's
-- funnel at a million contacts was a scan of the whole table per report). It reads the table
-- once, then before each report only the journeys changed since: those whose `seq` is above
-- the highest it has seen. SQLite commits one writer at a time, so `seq` grows in commit
-- order and the highest `seq` a read transaction sees is a safe place to resume from.
--
-- One row per contact ever in `journeys`; a removed journey (an erased contact) keeps its row
-- as the news of its removal, and nothing else of it.
create table journey_changes (
    contact_id blob primary key,
    workspace_id blob not null,
    seq integer not null
) without rowid;
create index journey_changes_seq_idx on journey_changes (seq);

create trigger journey_changes_insert after insert on journeys
begin
    insert into journey_changes (contact_id, workspace_id, seq)
    values (new.contact_id, new.workspace_id, coalesce((select max(seq) from journey_changes), 0) + 1)
    on conflict (contact_id) do update set seq = excluded.seq, workspace_id = excluded.workspace_id;
end;

create trigger journey_changes_update after update on journeys
begin
    insert into journey_changes (contact_id, workspace_id, seq)
    values (new.contact_id, new.workspace_id, coalesce((select max(seq) from journey_changes), 0) + 1)
    on conflict (contact_id) do update set seq = excluded.seq, workspace_id = excluded.workspace_id;
end;

create trigger journey_changes_delete after delete on journeys
begin
    insert into journey_changes (contact_id, workspace_id, seq)
    values (old.contact_id, old.workspace_id, coalesce((select max(seq) from journey_changes), 0) + 1)
    on conflict (contact_id) do update set seq = excluded.seq, workspace_id = excluded.workspace_id;
end;
