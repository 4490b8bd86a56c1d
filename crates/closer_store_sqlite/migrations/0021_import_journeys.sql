-- An import writes its new contacts' journeys itself, a batch at a time, as one multi-row
-- insert: the triggers that keep a journey from the contact and its first stage row cost
-- more than the rows themselves (an insert and an update of the journey, each news in the
-- journey feed, for every new person). While a write holds a row in `journeys_paused`, those
-- two triggers stand aside. The row is inserted and deleted inside the writing transaction,
-- so no other connection ever sees it, and a failure rolls it back with the rest.
create table journeys_paused (
    paused integer primary key
);

drop trigger journeys_contact_insert;

create trigger journeys_contact_insert after insert on contacts
when not exists (select 1 from journeys_paused)
begin
    insert into journeys (contact_id, workspace_id, entered_at, owner_id)
    values (new.id, new.workspace_id, new.created_at, new.owner_id);
end;

drop trigger journeys_stage;

create trigger journeys_stage after insert on contact_stages
when not exists (select 1 from journeys_paused)
begin
    update journeys set
        lead_at = case when new.stage = 'lead' and (lead_at is null or lead_at > new.entered_at)
            then new.entered_at else lead_at end,
        prospect_at = case when new.stage = 'prospect' and (prospect_at is null or prospect_at > new.entered_at)
            then new.entered_at else prospect_at end,
        opportunity_at = case when new.stage = 'opportunity' and (opportunity_at is null or opportunity_at > new.entered_at)
            then new.entered_at else opportunity_at end,
        customer_at = case when new.stage = 'customer' and (customer_at is null or customer_at > new.entered_at)
            then new.entered_at else customer_at end
    where contact_id = new.contact_id;
    update journeys set entered_at = new.entered_at
    where contact_id = new.contact_id and entered_at > new.entered_at;
end;
