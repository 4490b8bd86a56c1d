-- Stage moves and orders update a contact's journey in place. Their triggers (0006) set
-- `entered_at` on every call; on SQLite that column is part of the table's clustering key, so
-- setting it — even to the value it has — moves the row: a delete and an insert, in the table
-- and in its contact index. A rescore promotes hundreds of thousands of leads at once. Now
-- `entered_at` is written only when it moves earlier.

drop trigger journeys_stage;

create trigger journeys_stage after insert on contact_stages
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

drop trigger journeys_order_insert;

create trigger journeys_order_insert after insert on orders
begin
    update journeys set
        customer_at = min(coalesce(customer_at, new.placed_at), new.placed_at),
        repeat_at = (select placed_at from orders where contact_id = new.contact_id
                     order by placed_at limit 1 offset 1)
    where contact_id = new.contact_id;
    update journeys set entered_at = new.placed_at
    where contact_id = new.contact_id and entered_at > new.placed_at;
end;
