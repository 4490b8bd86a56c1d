-- The contact list's "active since" filter: the workspace's activities from a time on, read
-- from this index instead of every activity of the workspace (1.7 million at the demo's
-- million leads).
create index activities_workspace_time_idx on activities (workspace_id, occurred_at);
