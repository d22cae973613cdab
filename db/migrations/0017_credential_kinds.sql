-- Vapi's custom credentials (docs/vapi.md) come in two kinds the portal accepts:
--   bearer: a token in a header of the clinic's choosing (Authorization by default, with or without "Bearer ");
--           kept as its SHA-256, since it only has to be recognised;
--   hmac:   a signature over the raw body and a timestamp, as in Vapi's HMAC authentication plan. The secret has to be
--           used, so the app keeps it encrypted with the notes key ring (secret_sealed); its hash still guards uniqueness.
-- A format must sign both the body and the timestamp: otherwise a captured request could be replayed with a new timestamp.
alter table webhook_credentials
    add column kind               text not null default 'bearer' check (kind in ('bearer', 'hmac')),
    add column header_name        text not null default 'Authorization' check (header_name ~ '^[A-Za-z0-9-]{1,64}$'),
    add column secret_sealed      bytea,
    add column algorithm          text check (algorithm in ('sha256', 'sha512', 'sha1')),
    add column signature_header   text check (signature_header ~ '^[A-Za-z0-9-]{1,64}$'),
    add column timestamp_header   text check (timestamp_header ~ '^[A-Za-z0-9-]{1,64}$'),
    add column payload_format     text check (length(payload_format) <= 200
                                             and payload_format like '%{body}%' and payload_format not like '%{body}%{body}%'
                                             and payload_format like '%{timestamp}%'),
    add column signature_encoding text check (signature_encoding in ('hex', 'base64')),
    add column signature_prefix   text check (length(signature_prefix) <= 32),
    add constraint hmac_is_complete check (kind = 'bearer' or (secret_sealed is not null and algorithm is not null
        and signature_header is not null and timestamp_header is not null and payload_format is not null
        and signature_encoding is not null));

-- Authentication happens before the clinic is known: this returns what checking a request needs, and nothing else.
drop function webhook_credentials_for_auth();
create function webhook_credentials_for_auth()
returns table (clinic_id uuid, credential_id uuid, revoked boolean, kind text, secret_hash bytea, header_name text,
               secret_sealed bytea, algorithm text, signature_header text, timestamp_header text, payload_format text,
               signature_encoding text, signature_prefix text)
language sql stable security definer set search_path = public, pg_temp
as $$
    select clinic_id, id, revoked_at is not null, kind, secret_hash, header_name, secret_sealed, algorithm, signature_header,
           timestamp_header, payload_format, signature_encoding, signature_prefix
    from webhook_credentials
$$;
revoke all on function webhook_credentials_for_auth() from public;
grant execute on function webhook_credentials_for_auth() to clinic_app;
