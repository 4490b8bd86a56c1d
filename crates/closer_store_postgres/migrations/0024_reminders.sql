-- Reminders: notifications time brings (a task due, a task a day overdue, an idle deal, the
-- morning digest). `notice_marks` says what was told about what, and for which moment (the
-- task's due time, the deal's last activity, the digest's day): a mark is written in the
-- transaction of its notices, and only when it changes, so two processes never both tell.
-- Marks hold ids and times only.
create table notice_marks (
    kind text not null,
    subject_id uuid not null,
    workspace_id uuid not null references workspaces (id) on delete cascade,
    told_for timestamptz not null,
    constraint notice_marks_key primary key (kind, subject_id)
);

alter table workspaces add column idle_deal_days integer not null default 14;
alter table workspaces add column digest_hour integer not null default 7;

-- Open tasks by due time, across workspaces: the reminder job's scan.
create index tasks_open_due_idx on tasks (due_at) where status = 'open';

alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check
    check (kind in ('hot_lead', 'mention', 'task_assigned', 'task_due', 'task_overdue', 'deal_idle', 'digest'));
