-- On SQLite, 0008 stops the journey triggers from rewriting `entered_at` (part of the
-- clustering key there) when it does not change. PostgreSQL's journeys are a heap table whose
-- unchanged indexed columns allow in-place (HOT) updates: nothing to change here. The
-- migration exists so both engines keep the same numbers and names.
select 1;
