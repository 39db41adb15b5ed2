-- A claim to send an ingestion job's message is a lease: when the process that claimed it dies
-- between the claim and the send (or the release), the claim expires and the next delivery of the
-- arrival (an S3 event redelivered, POST …/complete) sends the message instead of answering
-- "duplicate" forever. Claims already held without a message start their lease at their last change.
ALTER TABLE ingestion_jobs ADD COLUMN dispatch_claimed_at timestamptz;
UPDATE ingestion_jobs SET dispatch_claimed_at = updated_at WHERE queue IS NOT NULL AND message_id IS NULL;
