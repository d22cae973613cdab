-- What the portal answers Vapi's assistant-request with (docs/vapi.md): a saved Vapi assistant, or one built from the
-- clinic's data with this model and voice (null: Vapi:Model:* and Vapi:Voice:* from configuration), its tools
-- authenticated with the Vapi credential the clinic created in Vapi. A clinic whose voice agent is off gets an error.
alter table clinics
    add column voice_enabled      boolean not null default true,
    add column vapi_assistant_id  text check (length(vapi_assistant_id) between 1 and 100),
    add column vapi_credential_id text check (length(vapi_credential_id) between 1 and 100),
    add column assistant_model    text check (length(assistant_model) between 1 and 100),
    add column assistant_voice    text check (length(assistant_voice) between 1 and 100);
