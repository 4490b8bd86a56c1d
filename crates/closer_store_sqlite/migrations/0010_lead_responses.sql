-- Speed-to-lead reads every lead of the period: its arrival, its first human touch and its
-- group. The journeys table is clustered by entry time and carries each lead's visit path,
-- so a year of a large workspace was a scan of wide rows; this index holds just those columns
-- for the whole business, by owner and by channel (other breakdowns still scan the table:
-- see `lead_responses` in src/reports.rs). One more index write when a lead arrives, is
-- touched or changes owner.
create index journeys_lead_idx on journeys (workspace_id, lead_at, first_touch_at, owner_id, channel);
