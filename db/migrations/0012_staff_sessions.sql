-- Accounts whose sessions end when access ends (docs/security.md).
--
-- security_stamp changes whenever a password changes or someone signs out everywhere: every session carries the
-- stamp it was issued with, and one that no longer matches is over. must_change_password marks a one-time password
-- an admin handed out.
alter table staff_users
    add column security_stamp       uuid not null default gen_random_uuid(),
    add column must_change_password boolean not null default false,
    add column password_changed_at  timestamptz;

-- A sign-in attempt, counted before the password is checked, in one statement: concurrent guesses cannot all slip in
-- under the limit. A lock that has expired starts the count again. locked says the account was already locked when
-- this attempt arrived: the password is then not checked at all. No row: no such account.
create function staff_begin_sign_in(p_email text, p_lock_after integer, p_lock_minutes integer)
returns table (user_id uuid, display_name text, password_hash text, security_stamp uuid, must_change_password boolean, locked boolean)
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    return query
    with before as (
        select u.id, u.locked_until is not null and u.locked_until > now() as locked,
               case when u.locked_until is not null and u.locked_until <= now() then 0 else u.failed_attempts end as failures
          from staff_users u where u.email = lower(p_email) for update),
    counted as (
        update staff_users u
           set failed_attempts = case when b.locked then u.failed_attempts else b.failures + 1 end,
               locked_until = case when b.locked then u.locked_until
                                   when b.failures + 1 >= p_lock_after then now() + make_interval(mins => p_lock_minutes)
                                   end
          from before b where u.id = b.id
        returning u.id, u.display_name, u.password_hash, u.security_stamp, u.must_change_password, b.locked)
    select * from counted;
end $$;

-- The password was right: the count starts again, and a hash made with older work factors is replaced.
create function staff_sign_in_succeeded(p_user uuid, p_rehash text)
returns void
language sql security definer set search_path = public, pg_temp as $$
    update staff_users set failed_attempts = 0, locked_until = null, password_hash = coalesce(p_rehash, password_hash)
     where id = p_user $$;

-- A new password (own change, or an admin's one-time reset): every session of the person ends. Returns the new stamp.
create function staff_set_password(p_user uuid, p_hash text, p_must_change boolean)
returns uuid
language sql security definer set search_path = public, pg_temp as $$
    update staff_users set password_hash = p_hash, must_change_password = p_must_change, password_changed_at = now(),
                           security_stamp = gen_random_uuid(), failed_attempts = 0, locked_until = null
     where id = p_user returning security_stamp $$;

-- Sign out everywhere. Returns the new stamp.
create function staff_new_security_stamp(p_user uuid)
returns uuid
language sql security definer set search_path = public, pg_temp as $$
    update staff_users set security_stamp = gen_random_uuid() where id = p_user returning security_stamp $$;

-- What a session is checked against, on each request and every minute for open pages: the person's clinics and role in
-- each, with the current stamp and whether a new password is owed. No row: no access at all.
create function staff_access(p_user uuid)
returns table (clinic_id uuid, slug text, name text, time_zone text, role text, security_stamp uuid, must_change_password boolean)
language sql stable security definer set search_path = public, pg_temp
as $$ select c.id, c.slug, c.name, c.time_zone, s.role, u.security_stamp, u.must_change_password
        from staff_users u join clinic_staff s on s.user_id = u.id join clinics c on c.id = s.clinic_id
       where u.id = p_user order by c.name $$;

-- For an admin's staff list and reset: the people of the current clinic (never a hash).
create function staff_of_clinic()
returns table (user_id uuid, email text, display_name text, role text, must_change_password boolean, locked boolean)
language sql stable security definer set search_path = public, pg_temp
as $$ select u.id, u.email, u.display_name, s.role, u.must_change_password, coalesce(u.locked_until > now(), false)
        from clinic_staff s join staff_users u on u.id = s.user_id
       where s.clinic_id = current_clinic_id() order by u.display_name $$;

drop function staff_record_sign_in(uuid, boolean, integer, integer);
drop function staff_sign_in_lookup(text);

revoke all on function staff_begin_sign_in(text, integer, integer), staff_sign_in_succeeded(uuid, text),
    staff_set_password(uuid, text, boolean), staff_new_security_stamp(uuid), staff_access(uuid), staff_of_clinic() from public;
grant execute on function staff_begin_sign_in(text, integer, integer), staff_sign_in_succeeded(uuid, text),
    staff_set_password(uuid, text, boolean), staff_new_security_stamp(uuid), staff_access(uuid), staff_of_clinic() to clinic_app;

-- An admin's reset of a colleague's password, in the admin's clinic only: a one-time password that must be changed at
-- the next sign-in. Returns false when the person does not work at the current clinic.
create function staff_reset_password(p_user uuid, p_hash text)
returns boolean
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    if not exists (select 1 from clinic_staff where clinic_id = current_clinic_id() and user_id = p_user) then
        return false;
    end if;
    perform staff_set_password(p_user, p_hash, true);
    return true;
end $$;
revoke all on function staff_reset_password(uuid, text) from public;
grant execute on function staff_reset_password(uuid, text) to clinic_app;
