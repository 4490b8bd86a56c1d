-- The search box's indexes: one FTS5 table per searchable kind, over the text its records
-- are found by (contacts' and companies' `search`: name, emails, company or domains; deals'
-- title), kept by triggers. FTS5 rows are keyed by integers: `search_keys` gives every record
-- one that a VACUUM cannot renumber (a table's own rowid can be, when it is not an INTEGER
-- PRIMARY KEY). The tables are contentless — the text stays in its own table — so a row is
-- removed with FTS5's `delete` command given the words it was indexed with, and
-- `secure-delete` takes those words out of the index at once (erasure erases them too).
-- Prefix indexes for the first one to six letters of every word: a prefix query otherwise
-- gathers every word starting so before reading the first match (0.3 s for `lead` where a
-- million emails start with it); with them it reads matches one by one and stops at the
-- limit. They triple the index's size (160 MB at a million contacts).
create table search_keys (
    key integer primary key,
    record_id blob not null,
    constraint search_keys_record_key unique (record_id)
);

create virtual table contacts_fts using fts5(
    search, content = '', prefix = '1 2 3 4 5 6',
    tokenize = 'unicode61 remove_diacritics 2'
);
create virtual table companies_fts using fts5(
    search, content = '', prefix = '1 2 3 4 5 6',
    tokenize = 'unicode61 remove_diacritics 2'
);
create virtual table deals_fts using fts5(
    title, content = '', prefix = '1 2 3 4 5 6',
    tokenize = 'unicode61 remove_diacritics 2'
);
insert into contacts_fts (contacts_fts, rank) values ('secure-delete', 1);
insert into companies_fts (companies_fts, rank) values ('secure-delete', 1);
insert into deals_fts (deals_fts, rank) values ('secure-delete', 1);

create trigger contacts_search_insert after insert on contacts
begin
    insert into search_keys (record_id) values (new.id);
    insert into contacts_fts (rowid, search)
    values ((select key from search_keys where record_id = new.id), new.search);
end;
create trigger contacts_search_update after update of search on contacts
    when new.search is not old.search
begin
    insert into contacts_fts (contacts_fts, rowid, search)
    values ('delete', (select key from search_keys where record_id = old.id), old.search);
    insert into contacts_fts (rowid, search)
    values ((select key from search_keys where record_id = new.id), new.search);
end;
create trigger contacts_search_delete after delete on contacts
begin
    insert into contacts_fts (contacts_fts, rowid, search)
    values ('delete', (select key from search_keys where record_id = old.id), old.search);
    delete from search_keys where record_id = old.id;
end;

create trigger companies_search_insert after insert on companies
begin
    insert into search_keys (record_id) values (new.id);
    insert into companies_fts (rowid, search)
    values ((select key from search_keys where record_id = new.id), new.search);
end;
create trigger companies_search_update after update of search on companies
    when new.search is not old.search
begin
    insert into companies_fts (companies_fts, rowid, search)
    values ('delete', (select key from search_keys where record_id = old.id), old.search);
    insert into companies_fts (rowid, search)
    values ((select key from search_keys where record_id = new.id), new.search);
end;
create trigger companies_search_delete after delete on companies
begin
    insert into companies_fts (companies_fts, rowid, search)
    values ('delete', (select key from search_keys where record_id = old.id), old.search);
    delete from search_keys where record_id = old.id;
end;

create trigger deals_search_insert after insert on deals
begin
    insert into search_keys (record_id) values (new.id);
    insert into deals_fts (rowid, title)
    values ((select key from search_keys where record_id = new.id), new.title);
end;
create trigger deals_search_update after update of title on deals
    when new.title is not old.title
begin
    insert into deals_fts (deals_fts, rowid, title)
    values ('delete', (select key from search_keys where record_id = old.id), old.title);
    insert into deals_fts (rowid, title)
    values ((select key from search_keys where record_id = new.id), new.title);
end;
create trigger deals_search_delete after delete on deals
begin
    insert into deals_fts (deals_fts, rowid, title)
    values ('delete', (select key from search_keys where record_id = old.id), old.title);
    delete from search_keys where record_id = old.id;
end;

-- The records already there, oldest first (the newest get the highest keys, as they would
-- have written one by one).
insert into search_keys (record_id) select id from contacts order by created_at, id;
insert into search_keys (record_id) select id from companies order by created_at, id;
insert into search_keys (record_id) select id from deals order by created_at, id;
insert into contacts_fts (rowid, search)
select k.key, c.search from contacts c join search_keys k on k.record_id = c.id;
insert into companies_fts (rowid, search)
select k.key, c.search from companies c join search_keys k on k.record_id = c.id;
insert into deals_fts (rowid, title)
select k.key, d.title from deals d join search_keys k on k.record_id = d.id;
