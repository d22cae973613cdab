-- Hardening for a portal on the internet (docs/security.md).
--
-- SECURITY DEFINER functions run with their owner's rights. Their search_path ends with pg_temp, so a temporary
-- table or function can never shadow one they use (PostgreSQL otherwise searches pg_temp first). Every such function,
-- now and in later migrations, must say `set search_path = public, pg_temp`; a test checks.
do $$
declare f regprocedure;
begin
    for f in select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
              where n.nspname = 'public' and p.prosecdef
    loop
        execute format('alter function %s set search_path = public, pg_temp', f);
    end loop;
end $$;

-- The runtime role creates nothing: no tables or functions in public, and no temporary objects.
revoke create on schema public from public;
revoke create on schema public from clinic_app;
do $$
begin
    -- TEMP is PUBLIC's by default on every database; only the database's owner can take it back. Where migrations run
    -- as a role that does not own the database, the deployer revokes it (docs/security.md).
    if (select datdba = (select oid from pg_roles where rolname = current_user) from pg_database where datname = current_database()) then
        execute format('revoke temporary on database %I from public', current_database());
        execute format('revoke temporary on database %I from clinic_app', current_database());
    else
        raise notice 'TEMP on database % was not revoked from clinic_app: % does not own it', current_database(), current_user;
    end if;
end $$;
