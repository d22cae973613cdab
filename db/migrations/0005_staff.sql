-- Staff accounts. An account is a person, not a clinic's row: one person may work for several clinics,
-- with a role in each (clinic_staff, clinic-owned, under row-level security). The runtime role has no
-- privilege on staff_users at all: sign-in goes through the narrow SECURITY DEFINER functions below,
-- so password hashes are never readable by a query the app composes.

create table staff_users (
    id              uuid primary key default gen_random_uuid(),
    email           text not null unique check (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    display_name    text not null check (length(display_name) between 1 and 200),
    password_hash   text not null,
    failed_attempts integer not null default 0,
    locked_until    timestamptz,
    created_at      timestamptz not null default now()
);
alter table staff_users enable row level security;
alter table staff_users force row level security;
create policy owner_all on staff_users to current_user using (true) with check (true);

create table clinic_staff (
    clinic_id  uuid not null references clinics (id),
    user_id    uuid not null references staff_users (id),
    role       text not null check (role in ('staff', 'admin')),
    created_at timestamptz not null default now(),
    primary key (clinic_id, user_id)
);
alter table clinic_staff enable row level security;
alter table clinic_staff force row level security;
create policy tenant on clinic_staff using (clinic_id = current_clinic_id()) with check (clinic_id = current_clinic_id());
create policy owner_all on clinic_staff to current_user using (true) with check (true);
grant select on clinic_staff to clinic_app;

-- What sign-in needs to check a password: the account by email, or nothing.
create function staff_sign_in_lookup(p_email text)
returns table (user_id uuid, display_name text, password_hash text, locked_until timestamptz)
language sql stable security definer set search_path = public
as $$ select id, display_name, password_hash, locked_until from staff_users where email = lower(p_email) $$;

-- Records a sign-in attempt: success clears the failures; the p_lock_after-th failure in a row locks
-- the account for p_lock_minutes. Returns the lock's end, if locked.
create function staff_record_sign_in(p_user uuid, p_success boolean, p_lock_after integer, p_lock_minutes integer)
returns timestamptz
language plpgsql security definer set search_path = public as $$
declare
    locked timestamptz;
begin
    if p_success then
        update staff_users set failed_attempts = 0, locked_until = null where id = p_user;
        return null;
    end if;
    update staff_users
       set failed_attempts = failed_attempts + 1,
           locked_until = case when failed_attempts + 1 >= p_lock_after
                               then now() + make_interval(mins => p_lock_minutes) else locked_until end
     where id = p_user
    returning locked_until into locked;
    return locked;
end $$;

-- The clinics a signed-in person may switch between, with their role in each.
create function staff_memberships(p_user uuid)
returns table (clinic_id uuid, slug text, name text, time_zone text, role text)
language sql stable security definer set search_path = public
as $$ select c.id, c.slug, c.name, c.time_zone, s.role from clinic_staff s join clinics c on c.id = s.clinic_id
      where s.user_id = p_user order by c.name $$;

revoke all on function staff_sign_in_lookup(text), staff_record_sign_in(uuid, boolean, integer, integer), staff_memberships(uuid) from public;
grant execute on function staff_sign_in_lookup(text), staff_record_sign_in(uuid, boolean, integer, integer), staff_memberships(uuid) to clinic_app;

-- The live dashboard's listener: one connection per app instance follows every clinic's events and
-- hands each to the dashboards of that clinic only. Reads events after an id, or the listed ids
-- (gaps: an id taken by a transaction that had not committed yet when a later one was read).
create function events_since(p_after bigint, p_missing bigint[], p_limit integer)
returns table (id bigint, clinic_id uuid, kind text, occurred_at timestamptz, payload jsonb)
language sql stable security definer set search_path = public
as $$ (select e.id, e.clinic_id, e.kind, e.occurred_at, e.payload from events e where e.id > p_after order by e.id limit p_limit)
      union all
      select e.id, e.clinic_id, e.kind, e.occurred_at, e.payload from events e where e.id = any (p_missing) $$;
revoke all on function events_since(bigint, bigint[], integer) from public;
grant execute on function events_since(bigint, bigint[], integer) to clinic_app;

-- Where a starting listener begins: the newest event id (dashboards load their own history).
create function events_high_water() returns bigint
language sql stable security definer set search_path = public
as $$ select coalesce(max(id), 0) from events $$;
revoke all on function events_high_water() from public;
grant execute on function events_high_water() to clinic_app;
