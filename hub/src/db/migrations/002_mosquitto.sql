-- A Mosquitto password-file hash ($7$ PBKDF2-SHA512) of each device's MQTT password, made at
-- provisioning, so `hcp-hub mosquitto-config` can write a password file for an external Mosquitto.
ALTER TABLE devices ADD COLUMN mosquitto_hash TEXT;
