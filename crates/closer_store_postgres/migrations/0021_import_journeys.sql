-- An import writes its new contacts' journeys itself, a batch at a time, as one multi-row
-- insert: the triggers that keep a journey from the contact and its first stage row cost
-- more than the rows themselves (a function call, an insert and an update of the journey for
-- every new person). While the writing transaction has set `closer.journeys_paused` (with
-- `set local`, so it ends with the transaction), those two triggers stand aside.
drop trigger journeys_contact_insert on contacts;
create trigger journeys_contact_insert after insert on contacts
    for each row when (current_setting('closer.journeys_paused', true) is distinct from 'on')
    execute function journeys_contact_insert();

drop trigger journeys_stage on contact_stages;
create trigger journeys_stage after insert on contact_stages
    for each row when (current_setting('closer.journeys_paused', true) is distinct from 'on')
    execute function journeys_stage();
