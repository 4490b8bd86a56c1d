-- Reminders: notifications time brings (a task due, a task a day overdue, an idle deal, the
-- morning digest). `notice_marks` says what was told about what, and for which moment (the
-- task's due time, the deal's last activity, the digest's day): a mark is written in the
-- transaction of its notices, and only when it changes, so two processes never both tell.
-- Marks hold ids and times only.
create table notice_marks (
    kind text not null,
    subject_id blob not null,
    workspace_id blob not null references workspaces (id) on delete cascade,
    told_for integer not null,
    constraint notice_marks_key primary key (kind, subject_id)
);

alter table workspaces add column idle_deal_days integer not null default 14;
alter table workspaces add column digest_hour integer not null default 7;

-- Open tasks by due time, across workspaces: the reminder job's scan.
create index tasks_open_due_idx on tasks (due_at) where status = 'open';

-- SQLite cannot change a check constraint: the table is rebuilt with the new kinds.
create table notifications_new (
    id blob primary key,
    workspace_id blob not null references workspaces (id) on delete cascade,
    user_id blob not null references users (id) on delete cascade,
    contact_id blob references contacts (id) on delete cascade,
    kind text not null,
    title text not null,
    link text not null,
    created_at integer not null,
    read_at integer,
    constraint notifications_kind_check check (kind in ('hot_lead', 'mention', 'task_assigned', 'task_due', 'task_overdue', 'deal_idle', 'digest'))
);
insert into notifications_new (id, workspace_id, user_id, contact_id, kind, title, link, created_at, read_at)
    select id, workspace_id, user_id, contact_id, kind, title, link, created_at, read_at from notifications;
drop table notifications;
alter table notifications_new rename to notifications;
create index notifications_user_idx on notifications (user_id, created_at);
create index notifications_unread_idx on notifications (user_id) where read_at is null;
create index notifications_contact_idx on notifications (contact_id);
