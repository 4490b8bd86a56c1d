-- The deal feed: which deals changed — the deal itself or one of its stage stays — in the
-- order they changed (see 0011 for the journeys'). Time in stage reads a year's stays, 620,000
-- in a large workspace; the reports keep them in memory and read only changed deals again.
--
-- One row per deal ever written; a removed deal keeps its row as the news of its removal.
-- A bulk load (`closer demo`, an import) drops these triggers with the others and marks its
-- deals itself.
create table deal_changes (
    deal_id blob primary key,
    workspace_id blob not null,
    seq integer not null
) without rowid;
create index deal_changes_seq_idx on deal_changes (seq);

create trigger deal_changes_insert after insert on deals
begin
    insert into deal_changes (deal_id, workspace_id, seq)
    values (new.id, new.workspace_id, coalesce((select max(seq) from deal_changes), 0) + 1)
    on conflict (deal_id) do update set seq = excluded.seq;
end;

create trigger deal_changes_update after update on deals
begin
    insert into deal_changes (deal_id, workspace_id, seq)
    values (new.id, new.workspace_id, coalesce((select max(seq) from deal_changes), 0) + 1)
    on conflict (deal_id) do update set seq = excluded.seq;
end;

create trigger deal_changes_delete after delete on deals
begin
    insert into deal_changes (deal_id, workspace_id, seq)
    values (old.id, old.workspace_id, coalesce((select max(seq) from deal_changes), 0) + 1)
    on conflict (deal_id) do update set seq = excluded.seq;
end;

create trigger deal_changes_stay_insert after insert on deal_stages
begin
    insert into deal_changes (deal_id, workspace_id, seq)
    values (new.deal_id, new.workspace_id, coalesce((select max(seq) from deal_changes), 0) + 1)
    on conflict (deal_id) do update set seq = excluded.seq;
end;

create trigger deal_changes_stay_update after update on deal_stages
begin
    insert into deal_changes (deal_id, workspace_id, seq)
    values (new.deal_id, new.workspace_id, coalesce((select max(seq) from deal_changes), 0) + 1)
    on conflict (deal_id) do update set seq = excluded.seq;
end;

create trigger deal_changes_stay_delete after delete on deal_stages
begin
    insert into deal_changes (deal_id, workspace_id, seq)
    values (old.deal_id, old.workspace_id, coalesce((select max(seq) from deal_changes), 0) + 1)
    on conflict (deal_id) do update set seq = excluded.seq;
end;
