-- Corrections: an activity edited or deleted, and why a contact's stage was changed.
--
-- A won deal counts the touches before its win (`won_touches`, 0009): an activity deleted no
-- longer counts, and one moved in time counts as its new time says.
create function deals_touches_activity_delete() returns trigger language plpgsql as $$
begin
    update deals set won_touches = won_touches - 1
    where contact_id = old.contact_id and status = 'won' and closed_at >= old.occurred_at
      and won_touches > 0;
    return null;
end $$;
create trigger deals_touches_activity_delete after delete on activities
    for each row execute function deals_touches_activity_delete();

create function deals_touches_activity_time() returns trigger language plpgsql as $$
begin
    update deals set won_touches = coalesce(won_touches, 0)
        - (case when closed_at >= old.occurred_at then 1 else 0 end)
        + (case when closed_at >= new.occurred_at then 1 else 0 end)
    where contact_id = new.contact_id and status = 'won' and closed_at is not null;
    return null;
end $$;
create trigger deals_touches_activity_time after update of occurred_at on activities
    for each row when (old.occurred_at is distinct from new.occurred_at)
    execute function deals_touches_activity_time();

-- What the person who moved a contact said about it ("bought elsewhere", "no budget this
-- year"): shown in the stage history and kept by the person's export.
alter table contact_stages add column reason text;
