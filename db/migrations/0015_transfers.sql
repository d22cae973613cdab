-- Where the voice agent transfers a caller who asks for a person (transfer-destination-request). Null: the clinic's phone.
alter table clinics add column transfer_phone text check (transfer_phone ~ '^\+[1-9][0-9]{7,14}$');
