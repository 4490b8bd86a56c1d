-- Orders read from indexes alone, for the reports that read every order before a day.
--
-- Retention and lifetime value read each order's customer, currency and total, oldest first;
-- through (workspace, placed_at) each order was then a seek into the table, which at 300,000
-- orders was most of those reports' time. The bottleneck's value of a repeat customer ranks
-- each customer's orders in turn, which the second index gives in order, without a sort.
-- The first index starts with the columns of `orders_placed_idx`, which it replaces.
create index orders_placed_cover_idx on orders (workspace_id, placed_at, id, contact_id, currency, total);
create index orders_customer_cover_idx on orders (workspace_id, currency, contact_id, placed_at, id, total);
drop index orders_placed_idx;
