-- contact_scores loses its workspace index: every query names the contact (its primary key),
-- so the index only cost a third B-tree write per record (a rescore writes a million).
drop index contact_scores_workspace_idx;
