-- What a tool call came to (booked, rescheduled, conflict, cancelled, ok, not_found, invalid, ...), in a column of
-- its own: "did this call book anything?" is a plain comparison instead of a parse of the stored answer. Derived by
-- the database from the stored answer (always one-line JSON with a status), so it cannot disagree with it.
alter table tool_calls add column outcome text generated always as (result::jsonb ->> 'status') stored;
