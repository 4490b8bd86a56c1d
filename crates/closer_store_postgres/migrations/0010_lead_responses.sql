-- On SQLite, 0010 adds a narrow index for speed-to-lead, which otherwise scans the wide,
-- entry-clustered journeys table. PostgreSQL plans that read with its statistics over a heap
-- table: nothing to change here. The migration exists so both engines keep the same numbers
-- and names.
select 1;
