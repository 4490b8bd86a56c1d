-- PostgreSQL only: a capture's writes as one server-side call (see the PostgreSQL adapter's
-- 0014). SQLite writes captures on its own writer thread, already one transaction per batch.
select 1;
