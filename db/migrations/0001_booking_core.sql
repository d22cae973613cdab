-- Booking core: clinics, providers, schedules, procedures, patients, appointments, webhook
-- credentials, tool-call results, call messages, events and the audit trail.
-- Runs as the owner role. The runtime role `clinic_app` owns nothing, has no BYPASSRLS, and sees a
-- clinic's rows only when `app.clinic_id` is set for the transaction (DESIGN.md, Tenancy).
-- Every clinic-owned key starts with clinic_id so the tables can be distributed by it (Citus).
-- The append-only tables written on every webhook (tool_calls, call_messages, events, audit_log,
-- audit_seals) have no foreign key to clinics: each check takes a KEY SHARE lock on the one clinic
-- row, and concurrent bookings of one clinic then queue on MultiXacts (measured: six such checks a
-- booking made plain inserts cost 0.6-0.9 ms under load). Their clinic_id is pinned anyway: row-level
-- security's WITH CHECK only accepts the clinic set for the transaction, which came from a credential,
-- and clinics are never deleted.

create extension if not exists btree_gist;
create extension if not exists pg_trgm;

-- The clinic of the current transaction; NULL when unset, so an unset clinic sees nothing.
create function current_clinic_id() returns uuid
language sql stable parallel safe
as $$ select nullif(current_setting('app.clinic_id', true), '')::uuid $$;

create function is_valid_time_zone(tz text) returns boolean
language sql stable
as $$ select exists (select 1 from pg_timezone_names where name = tz) $$;

create table clinics (
    id                 uuid primary key,
    slug               text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
    name               text not null check (length(name) between 1 and 200),
    time_zone          text not null check (is_valid_time_zone(time_zone)),
    phone              text check (phone ~ '^\+[1-9][0-9]{7,14}$'),
    min_notice_minutes integer not null default 60 check (min_notice_minutes between 0 and 10080),
    created_at         timestamptz not null default now()
);

create table providers (
    clinic_id  uuid not null references clinics (id),
    id         uuid not null default gen_random_uuid(),
    slug       text not null check (slug ~ '^[a-z0-9][a-z0-9-]{1,59}$'),
    name       text not null check (length(name) between 1 and 200),
    specialty  text,
    active     boolean not null default true,
    primary key (clinic_id, id),
    unique (clinic_id, slug)
);

-- Weekly hours in the clinic's local time; ISO weekday 1 = Monday.
create table working_hours (
    clinic_id   uuid not null,
    provider_id uuid not null,
    weekday     smallint not null check (weekday between 1 and 7),
    starts_at   time not null,
    ends_at     time not null,
    primary key (clinic_id, provider_id, weekday, starts_at),
    foreign key (clinic_id, provider_id) references providers (clinic_id, id) on delete cascade,
    check (ends_at > starts_at)
);

create table time_off (
    clinic_id   uuid not null,
    id          uuid not null default gen_random_uuid(),
    provider_id uuid not null,
    starts_at   timestamptz not null,
    ends_at     timestamptz not null,
    reason      text,
    primary key (clinic_id, id),
    foreign key (clinic_id, provider_id) references providers (clinic_id, id) on delete cascade,
    check (ends_at > starts_at)
);
create index time_off_provider on time_off (clinic_id, provider_id, ends_at);

create table procedures (
    clinic_id            uuid not null references clinics (id),
    id                   uuid not null default gen_random_uuid(),
    name                 text not null check (length(name) between 1 and 200),
    synonyms             text[] not null default '{}',
    duration_minutes     integer not null check (duration_minutes between 5 and 720),
    buffer_after_minutes integer not null default 0 check (buffer_after_minutes between 0 and 240),
    description          text not null default '',
    recovery             text not null default '',
    price_range          text not null default '',
    preparation_notes    text not null default '',
    active               boolean not null default true,
    primary key (clinic_id, id),
    unique (clinic_id, name)
);

create table patients (
    clinic_id  uuid not null references clinics (id),
    id         uuid not null default gen_random_uuid(),
    name       text not null check (length(name) between 1 and 200),
    phone      text not null check (phone ~ '^\+[1-9][0-9]{7,14}$'),
    email      text check (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    created_at timestamptz not null default now(),
    primary key (clinic_id, id),
    unique (clinic_id, phone)
);

create type appointment_status as enum ('pending', 'confirmed', 'cancelled', 'completed', 'no_show');
create type appointment_source as enum ('voice', 'staff');

create table appointments (
    clinic_id         uuid not null,
    id                uuid not null default gen_random_uuid(),
    provider_id       uuid not null,
    patient_id        uuid not null,
    procedure_id      uuid,
    starts_at         timestamptz not null,
    ends_at           timestamptz not null,
    -- ends_at plus the procedure's buffer: the provider is busy until then. Stored because
    -- timestamptz + interval is not immutable, so it cannot be a generated column.
    blocked_until     timestamptz not null,
    status            appointment_status not null default 'pending',
    confirmation_code text not null check (confirmation_code ~ '^[A-Z0-9]{8}$'),
    source            appointment_source not null,
    notes_ciphertext  bytea,
    created_by        text not null,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    primary key (clinic_id, id),
    unique (clinic_id, confirmation_code),
    foreign key (clinic_id, provider_id) references providers (clinic_id, id),
    foreign key (clinic_id, patient_id) references patients (clinic_id, id),
    foreign key (clinic_id, procedure_id) references procedures (clinic_id, id),
    check (ends_at > starts_at),
    check (blocked_until >= ends_at),
    -- No double booking, by construction: one provider is never in two live appointments at once.
    constraint appointments_no_overlap exclude using gist (
        clinic_id with =,
        provider_id with =,
        tstzrange(starts_at, blocked_until, '[)') with &&
    ) where (status <> 'cancelled')
);
create index appointments_patient on appointments (clinic_id, patient_id);

-- Webhook secrets, stored as SHA-256 of the secret; several may be active so a clinic can rotate.
create table webhook_credentials (
    clinic_id   uuid not null references clinics (id),
    id          uuid not null default gen_random_uuid(),
    label       text not null,
    secret_hash bytea not null check (length(secret_hash) = 32),
    created_at  timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at  timestamptz,
    primary key (clinic_id, id),
    unique (secret_hash)
);

-- The stored answer to each tool call, written in the same transaction as its effect.
create table tool_calls (
    clinic_id    uuid not null,
    tool_call_id text not null check (length(tool_call_id) between 1 and 200),
    call_id      text,
    tool_name    text not null,
    result       text,
    created_at   timestamptz not null default now(),
    primary key (clinic_id, tool_call_id)
);

-- Every non-tool server message Vapi sends, without its payload (transcripts hold PII).
create table call_messages (
    clinic_id    uuid not null,
    id           bigint generated always as identity,
    call_id      text,
    message_type text not null,
    status       text,
    ended_reason text,
    customer_phone text,
    received_at  timestamptz not null default now(),
    primary key (clinic_id, id)
);

-- What the live dashboard follows. Read by id from the last one seen; see DESIGN.md, Events.
create table events (
    clinic_id   uuid not null,
    id          bigint generated always as identity,
    kind        text not null,
    occurred_at timestamptz not null default now(),
    payload     jsonb not null,
    primary key (clinic_id, id)
);
create index events_id on events (id);

create table audit_log (
    clinic_id    uuid not null,
    id           bigint generated always as identity,
    occurred_at  timestamptz not null default clock_timestamp(),
    actor        text not null,
    action       text not null,
    subject_type text not null,
    subject_id   text not null,
    detail       jsonb not null default '{}',
    primary key (clinic_id, id)
);
create index audit_log_occurred on audit_log (clinic_id, occurred_at);

-- The hash chain: a seal per audit row, appended right after commit by the sealer, never updated.
-- hash = sha256(prev_hash || audit_canonical(row)); the first prev_hash is 32 zero bytes.
create table audit_seals (
    clinic_id  uuid not null,
    seq        bigint not null check (seq >= 1),
    audit_id   bigint not null,
    prev_hash  bytea not null check (length(prev_hash) = 32),
    hash       bytea not null check (length(hash) = 32),
    sealed_at  timestamptz not null default now(),
    primary key (clinic_id, seq),
    unique (clinic_id, audit_id),
    foreign key (clinic_id, audit_id) references audit_log (clinic_id, id)
);

-- Audit rows not sealed yet; filled by a trigger in the writing transaction, emptied by the sealer.
create table audit_unsealed (
    clinic_id uuid not null,
    audit_id  bigint not null,
    primary key (clinic_id, audit_id)
);
