-- The clinic's country (ISO 3166-1 alpha-2): callers give national numbers ("07700 100123"), which are read
-- in it. Existing clinics are British, as the demo clinics are.
alter table clinics add column country text not null default 'GB' check (country ~ '^[A-Z]{2}$');
