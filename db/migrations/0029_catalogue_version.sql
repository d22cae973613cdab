-- The booking path keeps each clinic's catalogue (the clinic's own settings, its providers, their hours and time off, and
-- its procedures) in memory (Features/Booking/CatalogueCache.cs). Every change to it counts up the clinic's
-- catalogue_versions row in the same transaction, by trigger, whatever code made it; a booking's batch checks the version
-- its catalogue was read at (catalogue_is) before anything is written, so a booking is never checked against a catalogue
-- that changed since.
--
-- A table of its own, not a column of clinics: an update of a clinics row evaluates its checks, and is_valid_time_zone
-- reads pg_timezone_names (about 30 ms), which a clinic's setup would pay once per provider, hour and procedure.
create table catalogue_versions (
    clinic_id uuid primary key references clinics (id),
    version   bigint not null
);
alter table catalogue_versions enable row level security;
alter table catalogue_versions force row level security;
create policy tenant on catalogue_versions using (clinic_id = current_clinic_id());
create policy owner_all on catalogue_versions to current_user using (true) with check (true);
grant select on catalogue_versions to clinic_app;

-- A row of the catalogue changed: its clinic's count goes up. Security definer, as the owner: the runtime role may only
-- read the counts, and a write that names its clinic some other way (the CLI's setup and imports) must count too.
create function bump_catalogue() returns trigger language plpgsql security definer set search_path = public, pg_temp as $$
declare
    clinic uuid;
begin
    -- One statement per case: plpgsql resolves a record's fields when it runs a statement, and clinics has no clinic_id.
    if tg_table_name = 'clinics' then
        clinic := new.id;
    elsif tg_op = 'DELETE' then
        clinic := old.clinic_id;
    else
        clinic := new.clinic_id;
    end if;
    insert into catalogue_versions (clinic_id, version) values (clinic, 1)
    on conflict (clinic_id) do update set version = catalogue_versions.version + 1;
    return null;
end $$;

create trigger clinics_catalogue_version after update on clinics for each row execute function bump_catalogue();
do $$
declare t text;
begin
    foreach t in array array['providers', 'working_hours', 'time_off', 'procedures'] loop
        execute format('create trigger %I after insert or update or delete on %I for each row execute function bump_catalogue()',
                       t || '_catalogue_version', t);
    end loop;
end $$;

-- The clinic's catalogue version: 0 until its catalogue first changes.
create function catalogue_version() returns bigint language sql stable as $$
    select coalesce((select version from catalogue_versions where clinic_id = current_clinic_id()), 0)
$$;

-- First in a booking's batch: stops the batch (SQLSTATE CP002) unless the clinic's catalogue is still at the version the
-- booking was checked against. The caller reloads and checks again.
create function catalogue_is(p_version bigint) returns void language plpgsql stable as $$
begin
    if catalogue_version() <> p_version then
        raise exception 'the clinic''s catalogue changed' using errcode = 'CP002';
    end if;
end $$;
