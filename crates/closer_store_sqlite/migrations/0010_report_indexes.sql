-- Narrow indexes for the reads every success-measures report makes over a period.
--
-- Speed-to-lead reads every lead of the period: its arrival, its first human touch and its
-- group. The journeys table is clustered by entry time and carries each lead's visit path,
-- so a year of a large workspace was a scan of wide rows; this index holds just those columns
-- for the whole business, by owner and by channel (other breakdowns still scan the table:
-- see `lead_responses` in src/reports.rs). One more index write when a lead arrives, is
-- touched or changes owner.
create index journeys_lead_idx on journeys (workspace_id, lead_at, first_touch_at, owner_id, channel);

-- Closed deals were read through (workspace, closed_at) and then each deal's row: two B-tree
-- seeks per deal, 177,000 a year in a large workspace. This index carries what the reports
-- read of a closed deal (its group comes from the owner or, through the contact, the
-- journey), and replaces the narrower one.
create index deals_closed_cover_idx on deals (workspace_id, closed_at, status, owner_id, contact_id, currency, amount, created_at, won_touches, loss_reason);
drop index deals_closed_idx;

-- Time in stage by owner (or any breakdown) reads every deal's group once: the owner index
-- now carries the deal's id, so that read stays in the index (replacing the narrower one,
-- whose "a rep's deals" lookups it serves the same way).
create index deals_owner_cover_idx on deals (workspace_id, owner_id, status, id);
drop index deals_owner_idx;
