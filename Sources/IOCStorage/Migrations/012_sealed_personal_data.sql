-- Personal data of contacts is stored sealed (AES-256-GCM, the key of IOC_DATA_KEY; see
-- IOCStorage.DataCipher): SQL never sees it in plaintext and never encrypts anything itself.
-- Rows written before this migration still hold plaintext; `ioc serve` seals them at start-up
-- (it refuses to start without a key while any exist). The constraints are NOT VALID so that
-- those rows may stay until then, while every row written or changed from now on must be sealed.

-- A contact's channels (phone numbers, e-mail addresses, chat ids, webhook URLs and secrets):
-- `definition` keeps the name and language, `channels_sealed` the JSON list of channels, sealed
-- for `contacts/{id}/channels`.
ALTER TABLE contacts ADD COLUMN channels_sealed text;
ALTER TABLE contacts ADD CONSTRAINT contacts_channels_sealed
    CHECK (channels_sealed IS NOT NULL AND NOT definition ? 'channels') NOT VALID;

-- Where a notification goes, sealed for `notification_outbox/{id}/address`; `address` is no
-- longer written (NULL once the start-up pass has sealed it).
ALTER TABLE notification_outbox ALTER COLUMN address DROP NOT NULL;
ALTER TABLE notification_outbox ADD COLUMN address_sealed text;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_address_sealed
    CHECK (address IS NULL AND address_sealed IS NOT NULL) NOT VALID;
